// An allocator of 64-byte aligned, uninitialised storage for scratch buffers. Aligned: Eigen's small
// products peel by the destination's alignment and round differently in the peeled (scalar) and
// vector (fused multiply-add) parts, so buffers whose alignment changed from call to call gave
// results differing in the last bit. Uninitialised: every buffer is written before it is read, and
// zeroing a block of scores first would be one more pass over it.
#pragma once
#include <cstddef>
#include <new>
#include <utility>
#include <vector>

namespace sshn {

template <typename T>
struct AlignedAllocator {
  using value_type = T;
  static constexpr std::size_t kAlignment = 64;

  AlignedAllocator() = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U>&) {}

  T* allocate(std::size_t count) {
    if (count > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_alloc();
    return static_cast<T*>(::operator new(count * sizeof(T), std::align_val_t(kAlignment)));
  }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t(kAlignment)); }

  // resize() default-initialises (leaves trivial values unset) instead of zeroing.
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }

  template <typename U>
  bool operator==(const AlignedAllocator<U>&) const { return true; }
  template <typename U>
  bool operator!=(const AlignedAllocator<U>&) const { return false; }
};

template <typename T>
using AlignedVector = std::vector<T, AlignedAllocator<T>>;

}  // namespace sshn
