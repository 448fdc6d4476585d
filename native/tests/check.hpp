// A tiny test harness for the C++ core: CHECK records failures, main returns their count.
#pragma once
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace sshn::test {

inline int& failures() {
  static int count = 0;
  return count;
}

inline std::vector<std::pair<std::string, std::function<void()>>>& registry() {
  static std::vector<std::pair<std::string, std::function<void()>>> cases;
  return cases;
}

struct Register {
  Register(const char* name, std::function<void()> body) { registry().emplace_back(name, std::move(body)); }
};

inline int runAll() {
  for (auto& [name, body] : registry()) {
    const int before = failures();
    try {
      body();
    } catch (const std::exception& e) {
      std::printf("  exception: %s\n", e.what());
      ++failures();
    }
    std::printf("%s - %s\n", failures() == before ? "ok" : "not ok", name.c_str());
  }
  std::printf("%d failed\n", failures());
  return failures() == 0 ? 0 : 1;
}

}  // namespace sshn::test

#define SSHN_CONCAT2(a, b) a##b
#define SSHN_CONCAT(a, b) SSHN_CONCAT2(a, b)
#define TEST_CASE(name) \
  static void SSHN_CONCAT(test_body_, __LINE__)(); \
  static sshn::test::Register SSHN_CONCAT(test_register_, __LINE__)(name, SSHN_CONCAT(test_body_, __LINE__)); \
  static void SSHN_CONCAT(test_body_, __LINE__)()
#define CHECK(cond)                                                                    \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);           \
      ++sshn::test::failures();                                                        \
    }                                                                                  \
  } while (0)
#define CHECK_NEAR(a, b, tol)                                                                              \
  do {                                                                                                     \
    const double sshn_a = (a), sshn_b = (b);                                                               \
    if (!(std::fabs(sshn_a - sshn_b) <= (tol))) {                                                          \
      std::printf("  %s:%d: %s = %.17g vs %s = %.17g\n", __FILE__, __LINE__, #a, sshn_a, #b, sshn_b);     \
      ++sshn::test::failures();                                                                            \
    }                                                                                                      \
  } while (0)
#define TEST_MAIN() \
  int main() { return sshn::test::runAll(); }
