#include <iostream>

#include "verify_fixture.h"

namespace tenantshift::verify {
namespace {

using VerifyBaseline = VerifyTest;

TEST_F(VerifyBaseline, CorrectlyMigratedDatabaseIsIsolated) {
  createMigratedDatabase();
  VerifyReport report = verify();
  EXPECT_TRUE(report.passed()) << lastReport_;
  EXPECT_TRUE(report.isolated()) << lastReport_;
  EXPECT_EQ(report.count(CheckOutcome::Warning), 0U) << lastReport_;
  std::cout << lastReport_;
}

}  // namespace
}  // namespace tenantshift::verify
