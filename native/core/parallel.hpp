// A minimal parallel-for over independent items, used for batches. Each item must depend only on
// its index, so results do not depend on the number of threads.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace sshn {

inline unsigned defaultThreads() {
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}

// Calls body(worker, i) for every i in [0, count); worker is in [0, threads).
template <typename Body>
void parallelFor(int64_t count, unsigned threads, Body body) {
  if (count <= 0) return;
  threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(std::min<int64_t>(count, 1024))));
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
  pool.reserve(threads - 1);
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& thread : pool) thread.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace sshn
