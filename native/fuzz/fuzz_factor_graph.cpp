// libFuzzer target for the factor-graph builder and solver: arbitrary bytes become a flat graph
// (the form the N-API layer receives). The checks the binding makes on array lengths are repeated
// here; then validateGraph must either reject the graph with sshn::RangeError/TypeError or the
// solver and its backward pass must run within bounds. Build and run: scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../core/errors.hpp"
#include "../core/sparsemap.hpp"

namespace sm = sshn::sparsemap;

namespace {

// Reads bytes from the input, then zeros once it runs out.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  int32_t small(int32_t span, int32_t low = 0) { return low + static_cast<int32_t>(byte() % span); }
  double real() {
    // Mostly ordinary values, sometimes the awkward ones.
    const uint8_t kind = byte();
    switch (kind % 16) {
      case 0: return 0.0;
      case 1: return -1e300;
      case 2: return 1e-300;
      default: return (static_cast<int>(byte()) - 128) / 16.0;
    }
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Offsets of nFactors + 1 entries, rejected like the binding rejects them.
bool offsets(Reader& in, int64_t nFactors, int32_t span, std::vector<int32_t>& out) {
  out.assign(static_cast<size_t>(nFactors + 1), 0);
  for (int64_t f = 1; f <= nFactors; ++f) out[f] = out[f - 1] + in.small(span) - (in.byte() == 255 ? 2 : 0);
  if (in.byte() == 254) out[0] = 1;
  if (out[0] != 0) return false;
  for (int64_t f = 0; f < nFactors; ++f)
    if (out[f + 1] < out[f]) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in(data, size);
  sm::GraphView g;
  g.nVariables = in.small(10, 1);
  g.nFactors = in.small(5);
  const int64_t nF = g.nFactors;
  std::vector<int32_t> kinds(static_cast<size_t>(nF));
  for (auto& k : kinds) k = in.small(13) - 1;  // includes unknown kinds -1, 11
  std::vector<int32_t> varStart, intStart, realStart, addStart, supportStart, labelStart;
  if (!offsets(in, nF, 6, varStart) || !offsets(in, nF, 4, intStart) || !offsets(in, nF, 6, realStart) ||
      !offsets(in, nF, 8, addStart) || !offsets(in, nF, 8, supportStart) || !offsets(in, nF, 40, labelStart)) {
    return 0;
  }
  std::vector<int32_t> vars(static_cast<size_t>(varStart[nF]));
  for (auto& v : vars) v = in.small(12) - 1;
  std::vector<uint8_t> negated(vars.size());
  for (auto& b : negated) b = in.byte() % 2;
  std::vector<int32_t> ints(static_cast<size_t>(intStart[nF]));
  for (auto& v : ints) v = in.small(8) - 1;
  std::vector<double> reals(static_cast<size_t>(realStart[nF]));
  for (auto& v : reals) v = in.real();
  g.kinds = kinds.data();
  g.varStart = varStart.data();
  g.vars = vars.data();
  g.negated = negated.data();
  g.intStart = intStart.data();
  g.ints = ints.data();
  g.realStart = realStart.data();
  g.reals = reals.data();
  g.addStart = addStart.data();
  g.supportStart = supportStart.data();
  g.labelStart = labelStart.data();
  try {
    sm::validateGraph(g);
  } catch (const sshn::RangeError&) {
    return 0;
  } catch (const sshn::TypeError&) {
    return 0;
  }

  const size_t n = static_cast<size_t>(g.nVariables);
  const size_t nAdd = static_cast<size_t>(addStart[nF]);
  std::vector<double> unary(n), additional(nAdd);
  for (auto& v : unary) v = in.real();
  for (auto& v : additional) v = in.real();
  sm::Params params;
  params.maxIter = 1 + in.small(60);
  params.maxActiveSetIter = 1 + in.small(30);
  params.objective = in.small(2);
  std::vector<double> u(n), additionals(nAdd), info(sm::InfoLength), localInputs(vars.size());
  std::vector<int32_t> supportCount(static_cast<size_t>(nF));
  std::vector<double> supportWeights(static_cast<size_t>(supportStart[nF]));
  std::vector<int32_t> supportLabels(static_cast<size_t>(labelStart[nF]));
  try {
    sm::solve(g, unary.data(), additional.data(), params,
              sm::Outputs{u.data(), additionals.data(), info.data(), localInputs.data(), supportCount.data(),
                          supportWeights.data(), supportLabels.data()});
    if (params.objective == 0) {
      std::vector<double> gradU(n, 1.0), gradAdd(nAdd, 1.0), outU(n), outAdd(nAdd), outInfo(sm::InfoLength);
      sm::backward(g, unary.data(), additional.data(), localInputs.data(), info[sm::InfoLocalScale],
                   sm::Supports{supportCount.data(), supportWeights.data(), supportLabels.data()}, gradU.data(), gradAdd.data(), params,
                   sm::GradOutputs{outU.data(), outAdd.data(), outInfo.data()});
    }
  } catch (const sshn::RangeError&) {
  } catch (const sshn::TypeError&) {
  }
  return 0;
}
