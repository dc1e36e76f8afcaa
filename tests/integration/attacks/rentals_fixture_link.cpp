// The rentals fixture's helpers (tests/integration/realistic/rentals_fixture.cpp) compiled into
// this binary too: every integration folder is a binary of its own, and the fixture lives with
// the realistic tests.
#include "../realistic/rentals_fixture.cpp"  // NOLINT(bugprone-suspicious-include)
