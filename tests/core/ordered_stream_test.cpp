// Unit tests of core/ordered_stream.h: typed results in input order, batches, errors.
#include <stdexcept>
#include <string>
#include <vector>

#include "core/ordered_stream.h"
#include "tests/catch.h"

using namespace textlrp;

namespace {

struct Result {
  std::size_t index = 0;
  std::vector<std::string> parts;
};

}  // namespace

TEST_CASE("ordered stream: typed results reach the sink in input order, batch by batch", "[core][stream]") {
  for (int threads : {1, 2, 3}) {
    for (std::size_t batch : {std::size_t{1}, std::size_t{4}, std::size_t{100}}) {
      ThreadPool pool(threads);
      std::size_t next = 0;
      std::vector<std::size_t> seen;
      std::vector<std::size_t> batches;
      const std::size_t n = map_in_order<std::size_t>(
          pool, batch,
          [&](std::size_t& item) {
            if (next == 23) return false;
            item = next++;
            return true;
          },
          [](const std::size_t& item) {
            return Result{item * 10, std::vector<std::string>(item % 3, "x")};
          },
          [&](const std::size_t& item, Result& r) {
            REQUIRE(r.index == item * 10);
            REQUIRE(r.parts.size() == item % 3);
            seen.push_back(item);
          },
          [&](std::size_t done) { batches.push_back(done); });
      CHECK(n == 23);
      REQUIRE(seen.size() == 23);
      for (std::size_t i = 0; i < seen.size(); ++i) CHECK(seen[i] == i);
      const std::size_t per = batch * static_cast<std::size_t>(threads);
      REQUIRE(!batches.empty());
      CHECK(batches.back() == 23);
      CHECK(batches.size() == (23 + per - 1) / per);
    }
  }
}

TEST_CASE("ordered stream: the first failing item's error stops the stream; an empty stream is 0",
          "[core][stream]") {
  ThreadPool pool(3);
  std::size_t next = 0;
  std::size_t sunk = 0;
  auto read = [&](int& item) {
    if (next == 50) return false;
    item = static_cast<int>(next++);
    return true;
  };
  auto fn = [](const int& item) {
    if (item == 13 || item == 17) throw std::runtime_error("item " + std::to_string(item));
    return item;
  };
  CHECK_THROWS_WITH(map_in_order<int>(pool, 4, read, fn, [&](const int&, int&) { ++sunk; }), "item 13");
  CHECK(sunk == 12);  // the batches before the failing one (12 items of 12 per batch)
  CHECK(map_in_order<int>(
            pool, 4, [](int&) { return false; }, fn, [&](const int&, int&) { ++sunk; }) == 0);
}
