// `tenantshift operator`'s command line: refused with exit status 2 and a message naming the flag
// before anything connects.
#include "controller/operator_command.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

namespace tenantshift::controller {
namespace {

struct OperatorRun {
  int status;
  std::string out;
  std::string err;
};

OperatorRun run(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  const int status = runOperator(args, out, err);
  return {status, out.str(), err.str()};
}

TEST(OperatorCommand, LeaderElectionNeedsANamespaceForItsLease) {
  unsetenv("POD_NAMESPACE");  // NOLINT(concurrency-mt-unsafe): single-threaded test
  const OperatorRun refused = run({"--image", "ts:1", "--leader-elect"});
  EXPECT_EQ(refused.status, 2);
  EXPECT_NE(refused.err.find("--leader-election-namespace"), std::string::npos) << refused.err;
}

TEST(OperatorCommand, TheHelpNamesTheLeaderElectionFlagsAndTheirDefaults) {
  const OperatorRun help = run({"--help"});
  EXPECT_EQ(help.status, 0);
  for (const char* text :
       {"--leader-elect", "--leader-election-namespace", "--leader-election-id",
        "lease 15s, renew deadline 10s, retry 2s", "with status 1 so that it restarts"}) {
    EXPECT_NE(help.out.find(text), std::string::npos) << text;
  }
}

TEST(OperatorCommand, AFlagWithoutItsValueIsRefused) {
  EXPECT_EQ(run({"--image", "ts:1", "--leader-election-id"}).status, 2);
  EXPECT_EQ(run({"--image", "ts:1", "--leader-elect-now"}).status, 2);
}

TEST(OperatorCommand, AnUnknownLogLevelIsRefusedNamingTheFlag) {
  const OperatorRun refused = run({"--image", "ts:1", "--log-level", "chatty"});
  EXPECT_EQ(refused.status, 2);
  EXPECT_NE(refused.err.find("--log-level must be trace, debug, info, warn, error or off"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(run({"--help"}).out.find("--log-level LEVEL"), std::string::npos);
}

}  // namespace
}  // namespace tenantshift::controller
