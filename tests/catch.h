// tests/catch.h — the one place that includes Catch2 (v2 on Debian 12; v3 when available).
#pragma once
#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif
