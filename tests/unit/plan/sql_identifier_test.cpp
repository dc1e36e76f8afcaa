#include "plan/sql_identifier.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "plan/object_names.h"

namespace tenantshift::plan {
namespace {

TEST(QuoteIdent, QuotesEveryIdentifierAndDoublesEmbeddedQuotes) {
  EXPECT_EQ(quoteIdent("users"), "\"users\"");
  EXPECT_EQ(quoteIdent("order"), "\"order\"");
  EXPECT_EQ(quoteIdent("Mixed Case"), "\"Mixed Case\"");
  EXPECT_EQ(quoteIdent("we\"ird"), "\"we\"\"ird\"");
  EXPECT_EQ(quoteIdent(""), "\"\"");
}

TEST(QuoteIdent, QualifiedAndListForms) {
  EXPECT_EQ(qualified("public", "user"), "\"public\".\"user\"");
  EXPECT_EQ(qualified("My Schema", "a\"b"), "\"My Schema\".\"a\"\"b\"");
  EXPECT_EQ(quoteIdentList({"a", "B c"}), "\"a\", \"B c\"");
  EXPECT_EQ(quoteIdentList({}), "");
}

TEST(QuoteLiteral, DoublesSingleQuotesAndRejectsNul) {
  EXPECT_EQ(quoteLiteral("app.current_tenant_id"), "'app.current_tenant_id'");
  EXPECT_EQ(quoteLiteral("O'Brien"), "'O''Brien'");
  EXPECT_EQ(quoteLiteral("'; DROP TABLE x; --"), "'''; DROP TABLE x; --'");
  EXPECT_THROW(quoteLiteral(std::string("a\0b", 3)), std::invalid_argument);
  EXPECT_THROW(quoteIdent(std::string("a\0b", 3)), std::invalid_argument);
}

// A backslash means itself in '...' only while standard_conforming_strings is on, which a
// database's owner can turn off: a value with one becomes an escape string, read the same either
// way (tests/integration/plan_sql/sql_safety_test.cpp reads them back on a real server).
TEST(QuoteLiteral, WritesAValueWithABackslashAsAnEscapeString) {
  EXPECT_EQ(quoteLiteral("back\\slash"), "E'back\\\\slash'");
  EXPECT_EQ(quoteLiteral("x\\'; SELECT 1; --"), "E'x\\\\''; SELECT 1; --'");
  EXPECT_EQ(quoteLiteral("trailing\\"), "E'trailing\\\\'");
  EXPECT_EQ(quoteLiteral("no backslash: '"), "'no backslash: '''");
}

TEST(BoundedName, ShortNamesAreKeptAsIs) {
  EXPECT_EQ(boundedName("trades", "_tenant_fk"), "trades_tenant_fk");
}

TEST(BoundedName, LongNamesFitIn63BytesAndStayDistinctAndStable) {
  const std::string a(70, 'a');
  const std::string b = std::string(69, 'a') + "b";
  const std::string nameA = boundedName(a, "_tenant_fk");
  const std::string nameB = boundedName(b, "_tenant_fk");
  EXPECT_LE(nameA.size(), kMaxIdentifierBytes);
  EXPECT_LE(nameB.size(), kMaxIdentifierBytes);
  EXPECT_NE(nameA, nameB);
  EXPECT_EQ(nameA, boundedName(a, "_tenant_fk"));
  EXPECT_TRUE(nameA.ends_with("_tenant_fk"));
}

TEST(BoundedName, NeverCutsInsideAUtf8Character) {
  std::string base;
  for (int i = 0; i < 40; ++i) {
    base += "\xc3\xa9";  // é, two bytes
  }
  const std::string name = boundedName(base, "_tenant_idx");
  EXPECT_LE(name.size(), kMaxIdentifierBytes);
  const std::string kept = name.substr(0, name.find('_'));
  EXPECT_EQ(kept.size() % 2, 0u) << name;
}

}  // namespace
}  // namespace tenantshift::plan

namespace tenantshift::plan {
namespace {

TEST(DollarQuoted, PicksATagThatCannotEndTheBodyEarly) {
  EXPECT_EQ(dollarQuoted("BEGIN RETURN NEW; END"), "$ts$BEGIN RETURN NEW; END$ts$");
  // An identifier holding the tag, or ending in a prefix of it, gets another tag.
  EXPECT_EQ(dollarQuoted("NEW.\"pid$ts$;SELECT 1;--\""), "$ts1$NEW.\"pid$ts$;SELECT 1;--\"$ts1$");
  EXPECT_EQ(dollarQuoted("x $ts"), "$ts1$x $ts$ts1$");
  EXPECT_EQ(dollarQuoted("$ts$ $ts1$"), "$ts2$$ts$ $ts1$$ts2$");
  EXPECT_EQ(dollarQuoted(""), "$ts$$ts$");
}

}  // namespace
}  // namespace tenantshift::plan
