#include "cli/progress_text.h"

#include <gtest/gtest.h>

#include "cli/status_format.h"

namespace tenantshift::cli {
namespace {

using namespace std::chrono_literals;

engine::BackfillProgress running(std::optional<std::chrono::seconds> eta) {
  engine::BackfillProgress progress;
  progress.table = "events";
  progress.rowsScanned = 12000;
  progress.rowsPerSecond = 2500;
  progress.eta = eta;
  return progress;
}

TEST(ProgressText, SaysHowLongIsLeftOnlyWhenItIsKnown) {
  EXPECT_EQ(etaText(running(192s)), "ETA 3m12s");
  EXPECT_EQ(etaText(running(std::nullopt)), "ETA unknown");
  engine::BackfillProgress finished = running(0s);
  finished.finished = true;
  EXPECT_EQ(etaText(finished), "done");
}

TEST(ProgressText, ShowsTheEstimatedTotalOnlyWhenThereIsOne) {
  engine::BackfillProgress progress = running(std::nullopt);
  EXPECT_EQ(rowsText(progress), "12000 rows");
  progress.estimatedTotal = 48000;
  EXPECT_EQ(rowsText(progress), "12000 / ~48000 rows (25%)");
}

TEST(ProgressText, AnUnknownEtaIsNullInTheStatusJson) {
  engine::MigrationStatus status;
  status.started = true;
  engine::BackfillCursorStatus cursor;
  cursor.table = "events";
  cursor.progress = running(std::nullopt);
  status.cursors.push_back(cursor);
  nlohmann::json json = statusToJson(status);
  EXPECT_TRUE(json.at("cursors").at(0).at("progress").at("etaSeconds").is_null());
  status.cursors[0].progress = running(192s);
  json = statusToJson(status);
  EXPECT_EQ(json.at("cursors").at(0).at("progress").at("etaSeconds"), 192);
  // The text form says so in words.
  status.cursors[0].progress = running(std::nullopt);
  EXPECT_NE(formatStatus(status).find("ETA unknown"), std::string::npos) << formatStatus(status);
}

}  // namespace
}  // namespace tenantshift::cli
