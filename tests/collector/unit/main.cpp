// Unit tests of the collector's pure parts, one file per collector/ file (run by ctest).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
