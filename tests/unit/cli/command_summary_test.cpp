#include "cli/command_summary.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace tenantshift::cli {
namespace {

constexpr const char* kUrl = "postgresql://runner:S3cret-pw%21@db.internal:5432/app";

CommandSummary backfillSummary() {
  CommandSummary summary;
  summary.outcome = engine::Outcome::Completed;
  summary.command = "phase";
  summary.phase = plan::Phase::Backfill;
  summary.migration = "alphapulse";
  summary.message = "phase backfill done (9 steps run).";
  engine::PlanProgress progress;
  progress.planHash = "0123456789abcdef";
  progress.steps = {20, 61};
  progress.phases[plan::Phase::Backfill] = {9, 9};
  summary.progress = progress;
  return summary;
}

TEST(CommandSummary, HasEveryFieldTheOperatorReads) {
  const auto json = nlohmann::json::parse(summaryJson(backfillSummary(), kUrl));
  EXPECT_EQ(json.at("outcome"), "completed");
  EXPECT_EQ(json.at("exitCode"), 0);
  EXPECT_EQ(json.at("command"), "phase");
  EXPECT_EQ(json.at("phase"), "backfill");
  EXPECT_EQ(json.at("migration"), "alphapulse");
  EXPECT_EQ(json.at("message"), "phase backfill done (9 steps run).");
  EXPECT_EQ(json.at("planHash"), "0123456789abcdef");
  EXPECT_EQ(json.at("steps"), (nlohmann::json{{"done", 20}, {"total", 61}}));
  EXPECT_EQ(json.at("phaseSteps"), (nlohmann::json{{"done", 9}, {"total", 9}}));
}

TEST(CommandSummary, WithoutPhaseOrProgressLeavesTheirFieldsOut) {
  CommandSummary summary;
  summary.outcome = engine::Outcome::LockHeld;
  summary.command = "run";
  summary.migration = "alphapulse";
  summary.message = "another tenantshift runner is working on this database";
  const auto json = nlohmann::json::parse(summaryJson(summary, kUrl));
  EXPECT_EQ(json.at("outcome"), "lock-held");
  EXPECT_EQ(json.at("exitCode"), 4);
  EXPECT_FALSE(json.contains("phase"));
  EXPECT_FALSE(json.contains("planHash"));
  EXPECT_FALSE(json.contains("steps"));
  EXPECT_FALSE(json.contains("phaseSteps"));
}

TEST(CommandSummary, NeverContainsTheDatabaseUrlOrItsPassword) {
  CommandSummary summary = backfillSummary();
  summary.outcome = engine::Outcome::DatabaseUnreachable;
  summary.message = std::string("cannot connect to ") + kUrl +
                    ": FATAL: password authentication failed; also tried "
                    "postgresql://runner:***@db.internal:5432/app with S3cret-pw! and "
                    "password=S3cret-pw%21";
  const std::string text = summaryJson(summary, kUrl);
  EXPECT_EQ(text.find("S3cret"), std::string::npos) << text;
  EXPECT_EQ(text.find("postgresql://"), std::string::npos) << text;
  const auto json = nlohmann::json::parse(text);
  EXPECT_NE(json.at("message").get<std::string>().find("cannot connect to the database"),
            std::string::npos)
      << text;
}

TEST(CommandSummary, AKeyValuePasswordIsRemovedToo) {
  CommandSummary summary = backfillSummary();
  const std::string url = "host=db user=runner password='kv-Secret-9' dbname=app";
  summary.message = "failed with kv-Secret-9 in it";
  const std::string text = summaryJson(summary, url);
  EXPECT_EQ(text.find("kv-Secret-9"), std::string::npos) << text;
}

// Kubernetes keeps 4096 bytes of a termination message: the message is shortened so that the
// whole object fits and stays valid JSON, also when escapes and multi-byte characters make the
// JSON longer than the text.
TEST(CommandSummary, ALongMessageIsShortenedToFitAndStaysValidJson) {
  CommandSummary summary = backfillSummary();
  summary.outcome = engine::Outcome::VerifyFailed;
  std::string message;
  while (message.size() < 20000) {
    message +=
        "check \"rls.forced\" on tr\xC3\xA4"
        "des\t\x01 failed; ";
  }
  summary.message = message;
  const std::string text = summaryJson(summary, kUrl);
  EXPECT_LE(text.size(), kTerminationMessageLimit);
  EXPECT_GT(text.size(), kTerminationMessageLimit - 64) << "shortened far more than needed";
  const auto json = nlohmann::json::parse(text);
  EXPECT_EQ(json.at("outcome"), "verify-failed");
  EXPECT_EQ(json.at("exitCode"), 7);
  EXPECT_EQ(json.at("planHash"), "0123456789abcdef");
  const std::string shortened = json.at("message").get<std::string>();
  EXPECT_EQ(shortened.substr(shortened.size() - 3), "...");
  EXPECT_EQ(shortened.substr(0, 20), message.substr(0, 20));
}

TEST(CommandSummary, InvalidUtf8InAMessageDoesNotBreakIt) {
  CommandSummary summary = backfillSummary();
  summary.message = std::string("server said \xFF\xFE") + std::string(6000, '\xC3');
  const std::string text = summaryJson(summary, kUrl);
  EXPECT_LE(text.size(), kTerminationMessageLimit);
  EXPECT_TRUE(nlohmann::json::accept(text)) << text.substr(0, 200);
}

TEST(CommandSummary, AShortMessageIsKeptWhole) {
  CommandSummary summary = backfillSummary();
  summary.message = std::string(3000, 'x');
  const auto json = nlohmann::json::parse(summaryJson(summary, kUrl));
  EXPECT_EQ(json.at("message").get<std::string>(), summary.message);
}

}  // namespace
}  // namespace tenantshift::cli
