// A minimal parallel-for over independent items, used for batches. Each item must depend only on
// its index, so results do not depend on the number of threads.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <limits>
#include <mutex>
#ifdef __linux__
#include <sched.h>
#endif
#include <system_error>
#include <thread>
#include <vector>

namespace sshn {

// Cores this process may run on (its CPU affinity on Linux, so a container's cpuset counts).
inline unsigned availableCores() {
  static const unsigned cores = [] {
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) return static_cast<unsigned>(CPU_COUNT(&set));
#endif
    const unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1u : hw;
  }();
  return cores;
}

inline unsigned defaultThreads() { return availableCores(); }

// A caller's thread count (0: one per core), capped at the cores: more threads only add
// start-up cost and per-thread scratch memory.
inline unsigned usableThreads(int64_t requested) {
  if (requested <= 0) return availableCores();
  return static_cast<unsigned>(std::min<int64_t>(requested, availableCores()));
}

// Tests only: SSHN_TEST_THREADS_BEFORE_FAILURE=k makes each parallelFor's thread creations after
// the k-th fail, as a pids or memory limit would.
inline unsigned threadsBeforeFailure() {
  static const unsigned limit = [] {
    const char* value = std::getenv("SSHN_TEST_THREADS_BEFORE_FAILURE");
    return value ? static_cast<unsigned>(std::strtoul(value, nullptr, 10)) : std::numeric_limits<unsigned>::max();
  }();
  return limit;
}

// Calls body(worker, i) for every i in [0, count); worker is in [0, threads).
template <typename Body>
void parallelFor(int64_t count, unsigned threads, Body body) {
  if (count <= 0) return;
  threads = std::max(1u, std::min<unsigned>(std::min(threads, availableCores()), static_cast<unsigned>(std::min<int64_t>(count, 1024))));
  if (threads == 1) {
    for (int64_t i = 0; i < count; ++i) body(0u, i);
    return;
  }
  std::atomic<int64_t> next{0};
  std::exception_ptr failure;
  int64_t failureIndex = count;
  std::mutex failureMutex;
  // Items are claimed in increasing order and a claimed item always finishes, so every item below a
  // failing one has run: keeping the lowest failure reports what a sequential loop would have.
  auto work = [&](unsigned worker) {
    int64_t i = next++;
    try {
      for (; i < count; i = next++) body(worker, i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(failureMutex);
      if (i < failureIndex) {
        failureIndex = i;
        failure = std::current_exception();
      }
      next = count;
    }
  };
  std::vector<std::thread> pool;
  // A thread that cannot be created (pids or memory limits) leaves its share to the others:
  // letting the exception unwind past joinable threads would abort the process.
  try {
    pool.reserve(threads - 1);
    for (unsigned t = 1; t < threads; ++t) {
      if (t > threadsBeforeFailure()) throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again));
      pool.emplace_back(work, t);
    }
  } catch (...) {
  }
  work(0);
  for (auto& thread : pool) thread.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace sshn
