// core/thread_pool.h: every task runs once on its fixed thread, the lowest failing task's exception
// reaches the caller, the pool is reusable after a failure, and n_threads < 1 means the caller only.
#include "core/thread_pool.h"

#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/catch.h"

using namespace textlrp;

TEST_CASE("thread_pool: parallel_for runs each task once, task i on thread i % size", "[core][thread_pool]") {
  for (const int n_threads : {1, 2, 3, 8}) {
    ThreadPool pool(n_threads);
    REQUIRE(pool.size() == n_threads);
    for (const std::size_t n : {0u, 1u, 2u, 7u, 100u}) {
      std::vector<int> count(n, 0);
      std::vector<std::thread::id> who(n);
      pool.parallel_for(n, [&](std::size_t i) {
        ++count[i];
        who[i] = std::this_thread::get_id();
      });
      for (std::size_t i = 0; i < n; ++i) CHECK(count[i] == 1);
      // Tasks with the same residue mod size() share a thread; task 0 runs on the caller.
      if (n > 0) CHECK(who[0] == std::this_thread::get_id());
      for (std::size_t i = static_cast<std::size_t>(n_threads); i < n; ++i) {
        CHECK(who[i] == who[i % static_cast<std::size_t>(n_threads)]);
      }
    }
  }
}

TEST_CASE("thread_pool: the lowest failing task's exception is rethrown", "[core][thread_pool]") {
  ThreadPool pool(4);
  for (int round = 0; round < 20; ++round) {  // timing varies between rounds; the answer must not
    std::atomic<int> ran{0};
    try {
      pool.parallel_for(50, [&](std::size_t i) {
        ++ran;
        if (i == 13 || i == 6 || i == 41) throw std::runtime_error("task " + std::to_string(i));
      });
      FAIL("no exception");
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()) == "task 6");
    }
    CHECK(ran.load() >= 7);  // tasks 0..6 always ran
  }
  // The pool still works after a failure.
  std::atomic<std::size_t> sum{0};
  pool.parallel_for(10, [&](std::size_t i) { sum += i; });
  CHECK(sum.load() == 45);
}

TEST_CASE("thread_pool: one thread is a plain loop; n_threads < 1 counts as 1", "[core][thread_pool]") {
  for (const int n_threads : {1, 0, -3}) {
    ThreadPool pool(n_threads);
    CHECK(pool.size() == 1);
    std::vector<std::size_t> order;
    CHECK_THROWS_AS(pool.parallel_for(5,
                                      [&](std::size_t i) {
                                        order.push_back(i);
                                        if (i == 2) throw std::logic_error("stop");
                                      }),
                    std::logic_error);
    CHECK(order == std::vector<std::size_t>{0, 1, 2});  // stops at the first failure, as a loop
  }
  CHECK(resolve_threads(3) == 3);
  CHECK(resolve_threads(0) >= 1);
}

TEST_CASE("thread_pool: per-thread accumulators summed in thread order are reproducible",
          "[core][thread_pool]") {
  // The trainers' pattern: parallel_for(size(), ...) with one accumulator per thread.
  auto run = [](int n_threads) {
    ThreadPool pool(n_threads);
    std::vector<double> acc(static_cast<std::size_t>(pool.size()), 0.0);
    pool.parallel_for(static_cast<std::size_t>(pool.size()), [&](std::size_t w) {
      for (std::size_t k = w; k < 1000; k += static_cast<std::size_t>(pool.size())) acc[w] += 1.0 / (1.0 + k);
    });
    double total = 0;
    for (double a : acc) total += a;
    return total;
  };
  for (const int n : {1, 2, 3}) {
    const double first = run(n);
    for (int r = 0; r < 5; ++r) CHECK(run(n) == first);  // bit-identical
  }
}
