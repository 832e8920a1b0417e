// One doctest binary for the whole core; each tests/core/test_*.cpp mirrors a header.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
