// core/thread_pool.h — the project's one way to spread work over threads: a fixed set of workers
// and parallel_for(n, fn), with an exception thrown by fn carried back to the caller.
//
// Users: the per-document commands (explain/pipeline.cpp run_stream), tokenizing a corpus for
// training (apps/cmd_train.cpp), the CNN and BiLSTM trainers (train/). Deterministic assignment:
// task i always runs on thread i % size() (thread 0 is the caller), in increasing i on each thread,
// so callers that keep per-thread accumulators and sum them in thread order get the same numbers for
// the same thread count on every run.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace textlrp {

// Threads to use for a --threads option: n itself when n >= 1, else every core (at least 1).
inline int resolve_threads(int n) {
  return n >= 1 ? n : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

class ThreadPool {
 public:
  // A pool of n_threads threads in all: the calling thread plus n_threads - 1 workers, started
  // here and kept until destruction. n_threads < 1 counts as 1 (no worker: everything runs on the
  // caller).
  explicit ThreadPool(int n_threads) : n_(n_threads < 1 ? 1 : n_threads) {
    workers_.reserve(static_cast<std::size_t>(n_ - 1));
    for (int w = 1; w < n_; ++w) workers_.emplace_back([this, w] { loop(w); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      ++generation_;
    }
    start_.notify_all();
    for (auto& t : workers_) t.join();
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Number of threads, the caller included.
  int size() const { return n_; }

  // Calls fn(i) for every i in [0, n): task i on thread i % size(), each thread in increasing i;
  // returns when all are done. When calls throw, the tasks after the lowest failing index are
  // skipped where not yet started, and the exception of the lowest failing index is rethrown (the
  // same one a sequential loop would throw). Not reentrant: fn must not call parallel_for on the
  // same pool, and one pool serves one caller at a time.
  void parallel_for(std::size_t n, const std::function<void(std::size_t)>& fn) {
    if (n == 0) return;
    if (n_ == 1 || n == 1) {
      for (std::size_t i = 0; i < n; ++i) fn(i);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      fn_ = &fn;
      n_tasks_ = n;
      pending_ = n_ - 1;
      first_failed_.store(n, std::memory_order_relaxed);
      error_ = nullptr;
      ++generation_;
    }
    start_.notify_all();
    run_tasks(0);
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [&] { return pending_ == 0; });
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void run_tasks(int w) {
    const std::function<void(std::size_t)>& fn = *fn_;
    const std::size_t stride = static_cast<std::size_t>(n_);
    for (std::size_t i = static_cast<std::size_t>(w); i < n_tasks_; i += stride) {
      if (i > first_failed_.load(std::memory_order_relaxed)) return;
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu_);
        if (i < first_failed_.load(std::memory_order_relaxed)) {
          first_failed_.store(i, std::memory_order_relaxed);
          error_ = std::current_exception();
        }
        return;
      }
    }
  }

  void loop(int w) {
    std::uint64_t seen = 0;
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        start_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stop_) return;
      }
      run_tasks(w);
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) done_.notify_one();
    }
  }

  int n_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_, done_;
  const std::function<void(std::size_t)>* fn_ = nullptr;
  std::size_t n_tasks_ = 0;
  std::uint64_t generation_ = 0;
  int pending_ = 0;
  std::atomic<std::size_t> first_failed_{0};  // lowest failing task so far (n when none)
  std::exception_ptr error_;
  bool stop_ = false;
};

}  // namespace textlrp
