// lrp/layers/lstm.h and its kernels (lstm_kernels.h): every instruction-set level this CPU has
// against plain loops, in float64 and float32; the packed batch layout.
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/error.h"
#include "lrp/layers/lstm.h"
#include "tests/catch.h"

using namespace textlrp;
using namespace textlrp::lrp;

namespace {

std::vector<double> rnd(std::size_t n, unsigned seed, double scale) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> u(-scale, scale);
  std::vector<double> v(n);
  for (auto& x : v) x = u(gen);
  return v;
}

template <class T>
std::vector<T> as(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

double sigmoid(double z) { return 1 / (1 + std::exp(-z)); }

template <class T>
void check_level(const lstm_kernels::Table<T>& k, double tol) {
  INFO("level " << k.isa << (sizeof(T) == 8 ? " float64" : " float32"));
  // gemm: y += x[:, k0:k1] W[k0:k1, :] for several shapes, rows and both directions.
  for (const auto& [n_in, n_out] :
       {std::pair<Index, Index>{5, 3}, {13, 37}, {37, 148}, {60, 240}, {64, 129}}) {
    const auto w = rnd(static_cast<std::size_t>(n_in * n_out), 1, 1.0);
    const std::vector<T> wt = as<T>(w);
    detail::AlignedArray<T> panels(k.panels_size(n_in, n_out));
    k.pack_panels(wt.data(), n_out, 1, n_in, n_out, panels.data());
    for (const Index n_rows : {Index(1), Index(2), Index(5), Index(9)}) {
      const Index k0 = n_in / 3, k1 = n_in - 1;
      const Index nk = k1 - k0;
      const auto x = rnd(static_cast<std::size_t>(n_rows * nk), 2, 1.0);
      const auto y0 = rnd(static_cast<std::size_t>(n_rows * (n_out + 3)), 3, 1.0);  // ldy = n_out + 3
      for (int reverse : {0, 1}) {
        INFO("gemm " << n_in << " x " << n_out << ", rows " << n_rows << ", reverse " << reverse);
        std::vector<T> y = as<T>(y0);
        const std::vector<T> xt = as<T>(x);
        k.gemm(xt.data(), nk, n_rows, panels.data(), n_in, k0, k1, n_out, y.data(), n_out + 3, reverse);
        double err = 0;
        for (Index r = 0; r < n_rows; ++r) {
          for (Index j = 0; j < n_out + 3; ++j) {
            double want = y0[static_cast<std::size_t>(r * (n_out + 3) + j)];
            if (j < n_out) {
              for (Index kk = k0; kk < k1; ++kk)
                want += x[static_cast<std::size_t>(r * nk + kk - k0)] *
                        w[static_cast<std::size_t>(kk * n_out + j)];
            } else {
              want = static_cast<T>(want);  // the padding between rows is left alone
            }
            err = std::max(
                err, std::abs(static_cast<double>(y[static_cast<std::size_t>(r * (n_out + 3) + j)]) - want));
          }
        }
        CHECK(err < tol * static_cast<double>(nk));
      }
    }
  }
  // cell and cell_backward for two rows, H = 11, with and without c_prev.
  const Index H = 11, G = 4 * H, R = 2;
  const auto z = rnd(static_cast<std::size_t>(R * G), 4, 6.0),
             cp = rnd(static_cast<std::size_t>(R * H), 5, 2.0);
  const std::vector<T> zt = as<T>(z), cpt = as<T>(cp);
  for (bool with_prev : {false, true}) {
    INFO("cell, c_prev " << with_prev);
    std::vector<T> a(static_cast<std::size_t>(R * G)), c(static_cast<std::size_t>(R * H)), tc(c.size()),
        h(c.size());
    k.cell(zt.data(), G, R, H, a.data(), G, with_prev ? cpt.data() : nullptr, H, c.data(), H, tc.data(), H,
           h.data(), H);
    double err = 0;
    for (Index r = 0; r < R; ++r) {
      for (Index j = 0; j < H; ++j) {
        const auto at = [&](Index b) { return z[static_cast<std::size_t>(r * G + b * H + j)]; };
        const double i = sigmoid(at(0)), g = std::tanh(at(1)), f = sigmoid(at(2)), o = sigmoid(at(3));
        const double cc = (with_prev ? f * cp[static_cast<std::size_t>(r * H + j)] : 0) + i * g;
        const auto rj = static_cast<std::size_t>(r * H + j);
        for (const auto& [ours, want] : {std::pair<double, double>{a[static_cast<std::size_t>(r * G + j)], i},
                                         {a[static_cast<std::size_t>(r * G + H + j)], g},
                                         {a[static_cast<std::size_t>(r * G + 2 * H + j)], f},
                                         {a[static_cast<std::size_t>(r * G + 3 * H + j)], o},
                                         {c[rj], cc},
                                         {tc[rj], std::tanh(cc)},
                                         {h[rj], o * std::tanh(cc)}}) {
          err = std::max(err, std::abs(ours - want));
        }
      }
    }
    CHECK(err < 4 * tol);
    // Backward: dz and the new dc from dh and dc.
    const auto dh = rnd(static_cast<std::size_t>(R * H), 6, 1.0),
               dc0 = rnd(static_cast<std::size_t>(R * H), 7, 1.0);
    const std::vector<T> dht = as<T>(dh);
    std::vector<T> dc = as<T>(dc0), dz(static_cast<std::size_t>(R * G));
    k.cell_backward(a.data(), G, tc.data(), H, with_prev ? cpt.data() : nullptr, H, dht.data(), H, R, H,
                    dc.data(), H, dz.data(), G);
    double berr = 0;
    for (Index r = 0; r < R; ++r) {
      for (Index j = 0; j < H; ++j) {
        const auto rj = static_cast<std::size_t>(r * H + j);
        const auto av = [&](Index b) {
          return static_cast<double>(a[static_cast<std::size_t>(r * G + b * H + j)]);
        };
        const double i = av(0), g = av(1), f = av(2), o = av(3), t = tc[rj];
        const double d_c = dc0[rj] + dh[rj] * o * (1 - t * t);
        const double prev = with_prev ? cp[rj] : 0;
        for (const auto& [ours, want] :
             {std::pair<double, double>{dz[static_cast<std::size_t>(r * G + j)], d_c * g * i * (1 - i)},
              {dz[static_cast<std::size_t>(r * G + H + j)], d_c * i * (1 - g * g)},
              {dz[static_cast<std::size_t>(r * G + 2 * H + j)], d_c * prev * f * (1 - f)},
              {dz[static_cast<std::size_t>(r * G + 3 * H + j)], dh[rj] * t * o * (1 - o)},
              {dc[rj], d_c * f}}) {
          berr = std::max(berr, std::abs(ours - want));
        }
      }
    }
    CHECK(berr < 8 * tol);
  }
  // lrp_ratios: q = r / (y + εσ), 0 where that is 0; the returned bias share.
  {
    std::vector<double> y = rnd(19, 8, 1.0), r = rnd(19, 9, 1.0), b = rnd(19, 10, 1.0);
    y[3] = 0;
    const std::vector<T> yt = as<T>(y), rt = as<T>(r), bt = as<T>(b);
    std::vector<T> q(19);
    const double share = k.lrp_ratios(yt.data(), rt.data(), bt.data(), T(0.001), q.data(), 19);
    double want_share = 0, err = 0;
    for (std::size_t j = 0; j < 19; ++j) {
      const double yy = yt[j], s = yy >= 0 ? 1 : -1, den = yy + static_cast<double>(T(0.001)) * s;
      const double want = static_cast<T>(den) == 0 ? 0 : static_cast<double>(rt[j]) / den;
      err = std::max(err, std::abs(q[j] - want) / std::max(1.0, std::abs(want)));
      want_share += (static_cast<double>(bt[j]) + static_cast<double>(T(0.001)) * s) * want;
    }
    CHECK(err < 4 * tol);
    k.lrp_ratios(yt.data(), rt.data(), nullptr, T(0), q.data(), 19);  // LRP-0: y_3 + 0 = 0 gives q_3 = 0
    CHECK(q[3] == 0);
    CHECK(q[4] == rt[4] / yt[4]);
    CHECK(std::abs(share - want_share) < 1e3 * tol);
  }
  // lrp_input_rows: out[t'] = x[t'] ⊙ pr[t] + gamma[t], t' = t or n − 1 − t; the padding between rows left alone.
  for (int reverse : {0, 1}) {
    INFO("lrp_input_rows, reverse " << reverse);
    const Index n = 5, E = 13, ld = E + 2;
    const std::vector<double> pr = rnd(static_cast<std::size_t>(n * E), 13, 1.0),
                              gamma = rnd(static_cast<std::size_t>(n), 14, 1.0),
                              x = rnd(static_cast<std::size_t>(n * ld), 15, 1.0);
    const std::vector<T> prt = as<T>(pr), gt = as<T>(gamma), xt = as<T>(x);
    std::vector<T> out(static_cast<std::size_t>(n * ld), T(7));
    k.lrp_input_rows(prt.data(), E, gt.data(), xt.data(), ld, n, E, reverse, out.data(), ld);
    double err = 0;
    for (Index t = 0; t < n; ++t) {
      const Index src = reverse ? n - 1 - t : t;
      for (Index e = 0; e < ld; ++e) {
        const auto o = static_cast<double>(out[static_cast<std::size_t>(src * ld + e)]);
        if (e >= E) {
          CHECK(o == 7);
          continue;
        }
        const double want = static_cast<double>(xt[static_cast<std::size_t>(src * ld + e)]) *
                                static_cast<double>(prt[static_cast<std::size_t>(t * E + e)]) +
                            static_cast<double>(gt[static_cast<std::size_t>(t)]);
        err = std::max(err, std::abs(o - want));
      }
    }
    CHECK(err < 4 * tol);
  }
  // lrp_input_sums: out[t'] = Σ_j q[t, j]·(zx[t', j] − b[j]) + E·gamma[t], t' = t or n − 1 − t, for
  // term counts that fill, split and pad the vectors.
  for (const Index n_terms : {Index(1), Index(7), Index(16), Index(60), Index(67)}) {
    for (const int reverse : {0, 1}) {
      for (const bool gathered : {false, true}) {
        INFO("lrp_input_sums, " << n_terms << " terms, reverse " << reverse << ", gathered " << gathered);
        const Index n = 5, E = 13, ldq = n_terms + 1, ldzx = n_terms + 3;
        const std::vector<double> q = rnd(static_cast<std::size_t>(n * ldq), 16, 1.0),
                                  gamma = rnd(static_cast<std::size_t>(n), 17, 1.0),
                                  zx = rnd(static_cast<std::size_t>(n * ldzx), 18, 2.0),
                                  b = rnd(static_cast<std::size_t>(n_terms), 19, 1.0);
        const std::vector<T> qt = as<T>(q), gt = as<T>(gamma), zt = as<T>(zx), bt = as<T>(b);
        std::vector<double> out(static_cast<std::size_t>(n), 7.0);
        // Rows gathered (row t' of zx is row (t' + 2) mod n) or in order.
        std::vector<Index> rows(static_cast<std::size_t>(n));
        for (Index t = 0; t < n; ++t) rows[static_cast<std::size_t>(t)] = gathered ? (t + 2) % n : t;
        k.lrp_input_sums(qt.data(), ldq, gt.data(), zt.data(), ldzx, gathered ? rows.data() : nullptr,
                         bt.data(), n_terms, n, E, reverse, out.data());
        double err = 0;
        for (Index t = 0; t < n; ++t) {
          const Index src = reverse ? n - 1 - t : t;
          double want = static_cast<double>(E) * static_cast<double>(gt[static_cast<std::size_t>(t)]);
          for (Index j = 0; j < n_terms; ++j) {
            want += static_cast<double>(qt[static_cast<std::size_t>(t * ldq + j)]) *
                    (static_cast<double>(
                         zt[static_cast<std::size_t>(rows[static_cast<std::size_t>(src)] * ldzx + j)]) -
                     static_cast<double>(bt[static_cast<std::size_t>(j)]));
          }
          err = std::max(err, std::abs(out[static_cast<std::size_t>(src)] - want));
        }
        CHECK(err < 4 * tol * static_cast<double>(n_terms + E));
      }
    }
  }
  // lrp_cell conserves: Σ R(gates) + Σ R(c_{t-1}) = Σ R(h_t) + Σ R(c_t) (bias factor 1 gives the
  // ε and bias shares back), under every rule.
  for (int rule :
       {lstm_kernels::kRuleSignalTakeAll, lstm_kernels::kRuleHalf, lstm_kernels::kRuleProportional}) {
    INFO("lrp_cell rule " << rule);
    std::vector<T> a(static_cast<std::size_t>(G)), c(static_cast<std::size_t>(H)), tc(c.size()), h(c.size());
    k.cell(zt.data(), G, 1, H, a.data(), G, cpt.data(), H, c.data(), H, tc.data(), H, h.data(), H);
    const std::vector<T> rh = as<T>(rnd(static_cast<std::size_t>(H), 11, 1.0));
    std::vector<T> rc = as<T>(rnd(static_cast<std::size_t>(H), 12, 1.0)), rz(static_cast<std::size_t>(G));
    double in = 0;
    for (Index j = 0; j < H; ++j)
      in += static_cast<double>(rh[static_cast<std::size_t>(j)]) +
            static_cast<double>(rc[static_cast<std::size_t>(j)]);
    k.lrp_cell(rule, a.data(), c.data(), cpt.data(), tc.data(), rh.data(), rc.data(), rz.data(), H, T(0.001),
               1.0 / static_cast<double>(2 * H));
    double out = 0;
    for (const T v : rz) out += static_cast<double>(v);
    for (const T v : rc) out += static_cast<double>(v);
    CHECK(std::abs(out - in) < 1e3 * tol);
    if (rule == lstm_kernels::kRuleSignalTakeAll) {
      for (Index j = 0; j < H; ++j) {
        CHECK(rz[static_cast<std::size_t>(j)] == 0);          // i
        CHECK(rz[static_cast<std::size_t>(2 * H + j)] == 0);  // f
        CHECK(rz[static_cast<std::size_t>(3 * H + j)] == 0);  // o
      }
    }
  }
}

// lrp_sta_steps (the fused relevance pass of signal-take-all, bias factor 0): one sequence's trace,
// packed W_hh and relevance buffers, random in the ranges of a real trace.
template <class T>
struct StaSeq {
  Index H = 0, steps = 0;
  std::vector<T> a, z, c, h, w, panels, rh, rc, q;
  StaSeq(const lstm_kernels::Table<T>& k, Index H_, Index steps_, unsigned seed) : H(H_), steps(steps_) {
    const Index G = 4 * H;
    const auto gates = rnd(static_cast<std::size_t>(steps * G), seed, 1.0);
    a.resize(gates.size());
    for (std::size_t i = 0; i < gates.size(); ++i) a[i] = static_cast<T>(0.5 + 0.5 * gates[i]);  // in [0, 1]
    z = as<T>(rnd(static_cast<std::size_t>(steps * G), seed + 1, 2.0));
    c = as<T>(rnd(static_cast<std::size_t>(steps * H), seed + 2, 1.5));
    h = as<T>(rnd(static_cast<std::size_t>(steps * H), seed + 3, 1.0));
    w = as<T>(rnd(static_cast<std::size_t>(G * H), seed + 4, 0.5));
    panels.resize(static_cast<std::size_t>(k.panels_size(G, H)));
    k.pack_panels(w.data(), H, 1, G, H, panels.data());
    rh = as<T>(rnd(static_cast<std::size_t>(H), seed + 5, 1.0));
    rc.assign(static_cast<std::size_t>(H), T(0));
    q.assign(static_cast<std::size_t>(steps * H), T(7));
  }
  // Gate block b (i, g, f, o), step t, unit j.
  T& gate(Index b, Index t, Index j) { return a[static_cast<std::size_t>(t * 4 * H + b * H + j)]; }
  T& zg(Index t, Index j) { return z[static_cast<std::size_t>(t * 4 * H + H + j)]; }
  T& cell(Index t, Index j) { return c[static_cast<std::size_t>(t * H + j)]; }
  T& hid(Index t, Index j) { return h[static_cast<std::size_t>(t * H + j)]; }
  lstm_kernels::LrpStaJob<T> job() {
    lstm_kernels::LrpStaJob<T> j;
    j.n_steps = steps;
    j.H = H;
    j.a = a.data();
    j.z = z.data();
    j.ldg = 4 * H;
    j.c = c.data();
    j.h = h.data();
    j.ldh = H;
    j.w_hh = panels.data();
    j.rh = rh.data();
    j.rc = rc.data();
    j.q = q.data();
    j.ldq = H;
    return j;
  }
};

// The pass by plain loops in double from the same (rounded) inputs: lrp_cell + lrp_ratios + the
// R(h_{t-1}) product, one quotient at a time. q [steps x H], R(c_{-1}) and R(h_{-1}).
struct StaRef {
  std::vector<double> q, rc, rh;
};
template <class T>
StaRef sta_reference(const StaSeq<T>& s, double eps) {
  const Index H = s.H, G = 4 * H;
  StaRef r;
  r.rh.assign(s.rh.begin(), s.rh.end());
  r.rc.assign(static_cast<std::size_t>(H), 0.0);
  r.q.resize(static_cast<std::size_t>(s.steps * H));
  const auto sg = [](double v) { return v >= 0 ? 1.0 : -1.0; };
  const auto epsT = static_cast<double>(static_cast<T>(eps));
  for (Index t = s.steps - 1; t >= 0; --t) {
    for (Index j = 0; j < H; ++j) {
      const auto at = [&](Index b) {
        return static_cast<double>(s.a[static_cast<std::size_t>(t * G + b * H + j)]);
      };
      const auto sj = static_cast<std::size_t>(j), tj = static_cast<std::size_t>(t * H + j);
      const double c = s.c[tj], zg = s.z[static_cast<std::size_t>(t * G + H + j)];
      const double rcv = r.rc[sj] + r.rh[sj];
      const double dc = c + epsT * sg(c), dg = zg + epsT * sg(zg);
      const double qc = dc == 0 ? 0 : rcv / dc;
      r.rc[sj] = t > 0 ? at(2) * static_cast<double>(s.c[static_cast<std::size_t>((t - 1) * H + j)]) * qc : 0;
      r.q[tj] = dg == 0 ? 0 : at(0) * at(1) * qc / dg;
    }
    for (Index col = 0; col < H; ++col) {
      double sum = 0;
      for (Index j = 0; j < H; ++j)
        sum += r.q[static_cast<std::size_t>(t * H + j)] *
               static_cast<double>(s.w[static_cast<std::size_t>((H + j) * H + col)]);
      r.rh[static_cast<std::size_t>(col)] =
          t > 0 ? sum * static_cast<double>(s.h[static_cast<std::size_t>((t - 1) * H + col)]) : 0;
    }
  }
  return r;
}

// lrp_sta_steps against sta_reference, for one job and for two interleaved (the same bits as each
// alone); with ε = 0 and zero denominators (q = 0 there, nothing infinite).
template <class T>
void check_lrp_sta(const lstm_kernels::Table<T>& k, Index H, Index steps, double eps, double tol) {
  INFO("lrp_sta_steps, level " << k.isa << (sizeof(T) == 8 ? " float64" : " float32") << " H " << H << " T "
                               << steps << " eps " << eps);
  StaSeq<T> one(k, H, steps, 20), two_a(k, H, steps, 20), two_b(k, H, steps, 30), ref(k, H, steps, 20);
  for (StaSeq<T>* s : {&one, &two_a, &ref}) {
    if (eps == 0) {  // zero denominators: c_t and z_g at 0
      s->cell(1, 1) = 0;
      s->zg(1, 2) = 0;
    }
  }
  const auto ja = one.job();
  k.lrp_sta_steps(&ja, 1, static_cast<T>(eps));
  const lstm_kernels::LrpStaJob<T> pair[2] = {two_a.job(), two_b.job()};
  k.lrp_sta_steps(pair, 2, static_cast<T>(eps));
  CHECK(two_a.q == one.q);
  CHECK(two_a.rh == one.rh);
  CHECK(two_a.rc == one.rc);
  const StaRef want = sta_reference(ref, eps);
  double scale = 0, err = 0;
  for (std::size_t i = 0; i < want.q.size(); ++i) {
    scale = std::max(scale, std::abs(want.q[i]));
    err = std::max(err, std::abs(static_cast<double>(one.q[i]) - want.q[i]));
    CHECK(std::isfinite(static_cast<double>(one.q[i])));
  }
  for (Index j = 0; j < H; ++j) {
    const auto sj = static_cast<std::size_t>(j);
    err = std::max(err, std::abs(static_cast<double>(one.rc[sj]) - want.rc[sj]));
    CHECK(one.rh[sj] == 0);  // h_{-1} = 0
  }
  CHECK(scale > 0);
  CHECK(err < tol * scale);
  if (eps == 0) {
    CHECK(one.q[static_cast<std::size_t>(H + 1)] == 0);  // c_1 + 0 = 0
    CHECK(one.q[static_cast<std::size_t>(H + 2)] == 0);  // z_g + 0 = 0 at step 1
  }
}

// lrp_sta_steps where d_c d_g leaves the range of the type while the quotients do not (LRP-0): with
// AVX-512 the kernel takes 1/(d_c d_g) for both quotients, which must not be used when it is not a
// normal number. At step 1, unit j1 has tiny denominators (d_c d_g underflows: 1/(d_c d_g) is inf)
// and a tiny g, so q is large but finite; unit j2 has huge ones (d_c d_g overflows: 1/(d_c d_g) is 0)
// and h_0 = 0 there, so R(c_0) = f c_0 / d_c · R(c_1) alone carries its q_0. Each element of q and of
// R(c_{-1}) within tol of the plain loops, relative to itself (the values span ~300 decades in
// float64); one job alone and paired give the same bits.
template <class T>
void check_lrp_sta_range(const lstm_kernels::Table<T>& k, Index H, double tol) {
  INFO("lrp_sta_steps out of range, level " << k.isa << (sizeof(T) == 8 ? " float64" : " float32") << " H "
                                            << H);
  const bool f64 = sizeof(T) == 8;
  const Index j1 = 1, j2 = H - 2;
  StaSeq<T> one(k, H, 2, 40), two_a(k, H, 2, 40), two_b(k, H, 2, 50), ref(k, H, 2, 40);
  for (StaSeq<T>* s : {&one, &two_a, &ref}) {
    s->cell(1, j1) = static_cast<T>(f64 ? 1e-155 : 1e-20);
    s->zg(1, j1) = static_cast<T>(f64 ? 1e-160 : 1e-25);
    s->gate(1, 1, j1) = static_cast<T>(f64 ? 1e-300 : 1e-30);  // g
    s->cell(1, j2) = static_cast<T>(f64 ? 1e200 : 1e20);
    s->zg(1, j2) = static_cast<T>(f64 ? 1e200 : 1e20);
    s->hid(0, j2) = 0;
  }
  const auto ja = one.job();
  k.lrp_sta_steps(&ja, 1, T(0));
  const lstm_kernels::LrpStaJob<T> pair[2] = {two_a.job(), two_b.job()};
  k.lrp_sta_steps(pair, 2, T(0));
  CHECK(two_a.q == one.q);
  CHECK(two_a.rh == one.rh);
  CHECK(two_a.rc == one.rc);
  const StaRef want = sta_reference(ref, 0.0);
  const auto close = [&](T got, double w) {
    const auto g = static_cast<double>(got);
    // + a few of the type's smallest denormals: q_1 at j2 is denormal in float32
    return std::isfinite(g) &&
           std::abs(g - w) <= tol * std::abs(w) + 4 * std::numeric_limits<T>::denorm_min();
  };
  for (std::size_t i = 0; i < want.q.size(); ++i) {
    INFO("q[" << i << "] = " << one.q[i] << ", want " << want.q[i]);
    CHECK(close(one.q[i], want.q[i]));
  }
  for (std::size_t i = 0; i < want.rc.size(); ++i) {
    INFO("R(c_-1)[" << i << "] = " << one.rc[i] << ", want " << want.rc[i]);
    CHECK(close(one.rc[i], want.rc[i]));
  }
  // The cases are the ones meant: q_1 large at j1, q_0 tiny at j2 (R(h_0) is 0 there).
  CHECK(std::abs(want.q[static_cast<std::size_t>(H + j1)]) > 1e10);
  CHECK(std::abs(want.q[static_cast<std::size_t>(j2)]) < (f64 ? 1e-150 : 1e-15));
  CHECK(std::abs(want.q[static_cast<std::size_t>(j2)]) > 0);
}

}  // namespace

TEST_CASE("lstm kernels: the fused relevance pass at every level agrees with plain loops", "[lrp][lstm]") {
  for (const char* level : {"generic", "v2", "v3", "v4", "native"}) {
    for (const Index H : {Index(11), Index(60)}) {
      for (const double eps : {0.001, 0.0}) {
        if (const auto* k = lstm_kernels::table_f64_of(level)) check_lrp_sta<double>(*k, H, 6, eps, 1e-12);
        if (const auto* k = lstm_kernels::table_f32_of(level)) check_lrp_sta<float>(*k, H, 6, eps, 1e-4);
      }
      if (const auto* k = lstm_kernels::table_f64_of(level)) check_lrp_sta_range<double>(*k, H, 1e-12);
      if (const auto* k = lstm_kernels::table_f32_of(level)) check_lrp_sta_range<float>(*k, H, 1e-4);
    }
  }
}

TEST_CASE("lstm kernels: every level this CPU has agrees with plain loops", "[lrp][lstm]") {
  int levels = 0;
  // "native": a -DTEXTLRP_NATIVE=ON build (one level, for the build machine only).
  for (const char* level : {"generic", "v2", "v3", "v4", "native"}) {
    if (const auto* k = lstm_kernels::table_f64_of(level)) {
      check_level<double>(*k, 1e-14);
      ++levels;
    }
    if (const auto* k = lstm_kernels::table_f32_of(level)) check_level<float>(*k, 2e-6);
  }
  CHECK(levels >= 1);
  CHECK(lstm_kernels::table_f64_of("v5") == nullptr);
  const std::string in_use = lstm_kernels::isa_in_use();
  CHECK(lstm_kernels::table_f64_of(in_use.c_str()) == &lstm_kernels::table_f64());
}

namespace {
// Table::step (one sequence's step, product and cell fused) against gemm + cell: bit for bit, every
// shape (hidden sizes that fill, split and pad the vector chunks), both walking orders, first step.
template <class T>
void check_step(const lstm_kernels::Table<T>& k) {
  INFO("level " << k.isa << (sizeof(T) == 8 ? " float64" : " float32"));
  if (k.step == nullptr) return;  // this level uses gemm + cell
  // At AVX-512 a last chunk of n < L units is packed into ⌈4n/L⌉ vectors: these sizes give 1 to 4 of
  // them (in float32 and float64) in a panel of one or two chunks.
  for (const Index H : {Index(1), Index(3), Index(7), Index(8), Index(14), Index(16), Index(17), Index(29),
                        Index(33), Index(45), Index(60), Index(100)}) {
    INFO("H = " << H);
    const Index G = 4 * H, steps = 6;
    const std::vector<T> w = as<T>(rnd(static_cast<std::size_t>(G * H), 11, 0.8));  // W_hh [4H x H]
    detail::AlignedArray<T> panels(k.panels_size(H, G)), fused(k.step_panels_size(H));
    k.pack_panels(w.data(), 1, H, H, G, panels.data());  // W_hhᵀ, as Lstm
    k.pack_step(w.data(), H, fused.data());
    const std::vector<T> zx = as<T>(rnd(static_cast<std::size_t>(steps * G), 12, 3.0));
    std::vector<T> z1(zx.size()), a1(zx.size()), c1(static_cast<std::size_t>(steps * H)), t1(c1.size()),
        h1(c1.size());
    std::vector<T> z2 = z1, a2 = a1, c2 = c1, t2 = t1, h2 = h1;
    for (Index t = 0; t < steps; ++t) {
      const std::size_t r = static_cast<std::size_t>(t * G), s = static_cast<std::size_t>(t * H);
      const std::size_t sp = static_cast<std::size_t>((t - 1) * H);
      std::copy(zx.begin() + static_cast<std::ptrdiff_t>(r), zx.begin() + static_cast<std::ptrdiff_t>(r + G),
                z1.begin() + static_cast<std::ptrdiff_t>(r));
      if (t > 0) k.gemm(&h1[sp], H, 1, panels.data(), H, 0, H, G, &z1[r], G, static_cast<int>(t & 1));
      k.cell(&z1[r], G, 1, H, &a1[r], G, t > 0 ? &c1[sp] : nullptr, H, &c1[s], H, &t1[s], H, &h1[s], H);
      k.step(&zx[r], t > 0 ? &h2[sp] : nullptr, t > 0 ? &c2[sp] : nullptr, fused.data(), H,
             static_cast<int>(t & 1), &z2[r], &a2[r], &c2[s], &t2[s], &h2[s]);
    }
    CHECK(z1 == z2);
    CHECK(a1 == a2);
    CHECK(c1 == c2);
    CHECK(t1 == t2);
    CHECK(h1 == h2);
  }
}
}  // namespace

TEST_CASE("lstm kernels: the fused step is bit for bit gemm + cell at every level", "[lrp][lstm]") {
  int fused = 0;
  for (const char* level : {"generic", "v2", "v3", "v4", "native"}) {
    if (const auto* k = lstm_kernels::table_f64_of(level)) {
      check_step<double>(*k);
      fused += k->step != nullptr;
    }
    if (const auto* k = lstm_kernels::table_f32_of(level)) check_step<float>(*k);
  }
#if defined(__x86_64__)
  // A CPU with AVX2 (every level from v3) has at least one level with the fused step.
  if (lstm_kernels::table_f64_of("v3") != nullptr) CHECK(fused >= 1);
#endif
}

namespace {
// The cell's gates σ(z), tanh(z) and tanh(c) over the whole range of z: a dense grid over [−30, 30]
// (every reduction interval of the exponential's argument, both polynomial schemes), the clamps' edges
// and beyond (±80 ... ±1e30, ±∞: exactly 0, 1, −1 or within rounding of them) and NaN (stays NaN: the
// clamps' max/min keep a NaN argument). Relative error against <cmath> in float64, at most rel.
template <class T>
void check_activations(const lstm_kernels::Table<T>& k, double rel) {
  INFO("level " << k.isa << (sizeof(T) == 8 ? " float64" : " float32"));
  std::vector<double> zs;
  for (int j = -3000; j <= 3000; ++j) zs.push_back(0.01 * j + 0.00123);
  for (const double e : {80.0, 86.9, 87.0, 87.5, 88.0, 88.8, 89.0, 700.0, 708.0, 709.0, 710.0, 745.0, 1e30})
    for (const double sg : {1.0, -1.0}) zs.push_back(sg * e);
  const double inf = std::numeric_limits<double>::infinity();
  zs.push_back(inf);
  zs.push_back(-inf);
  zs.push_back(std::numeric_limits<double>::quiet_NaN());
  const Index H = static_cast<Index>(zs.size()), G = 4 * H;
  std::vector<T> z(static_cast<std::size_t>(G)), a(z.size()), c(static_cast<std::size_t>(H)), tc(c.size()),
      h(c.size());
  for (Index q = 0; q < 4; ++q) {
    for (Index j = 0; j < H; ++j) {
      // Gate q sees z shifted by q units, so that every gate gets every value somewhere.
      z[static_cast<std::size_t>(q * H + j)] = static_cast<T>(zs[static_cast<std::size_t>((j + q) % H)]);
    }
  }
  k.cell(z.data(), G, 1, H, a.data(), G, nullptr, H, c.data(), H, tc.data(), H, h.data(), H);
  double worst = 0, worst_at = 0;
  int nan_in = 0, nan_out = 0;
  // σ relative to its value (1/(1 + e^(−z)) keeps the relative accuracy of e^(−z) where σ is tiny);
  // tanh = 2σ(2z) − 1 relative to max(|tanh|, 1) (near 0 it cancels: an absolute error).
  const auto check = [&](double ours, double want, double floor) {
    if (std::isnan(want)) {
      ++nan_in;
      nan_out += std::isnan(ours);
      return;
    }
    const double err = std::abs(ours - want) / std::max(std::abs(want), floor);
    if (!(err <= worst)) {
      worst = std::isnan(err) ? inf : err;
      worst_at = want;
    }
  };
  for (Index q = 0; q < 4; ++q) {
    for (Index j = 0; j < H; ++j) {
      const double zz = static_cast<double>(z[static_cast<std::size_t>(q * H + j)]);
      const double ours = static_cast<double>(a[static_cast<std::size_t>(q * H + j)]);
      // σ below ~−87 (float32) / −708 (float64) comes from the clamped e^(−z): an absolute error only.
      const double want = q == 1 ? std::tanh(zz) : sigmoid(zz);
      if (q != 1 && want < (sizeof(T) == 8 ? 1e-300 : 1e-37)) {
        CHECK(ours >= 0);
        CHECK(ours < (sizeof(T) == 8 ? 1e-300 : 1e-37));
        continue;
      }
      check(ours, want, q == 1 ? 1.0 : 1e-300);
    }
  }
  for (Index j = 0; j < H; ++j) {
    const auto ju = static_cast<std::size_t>(j);
    check(static_cast<double>(tc[ju]), std::tanh(static_cast<double>(c[ju])), 1.0);
  }
  INFO("worst relative error " << worst << " at the value " << worst_at);
  CHECK(worst <= rel);
  CHECK(nan_in > 0);
  CHECK(nan_out == nan_in);
}
}  // namespace

TEST_CASE("lstm kernels: the cell's activations at every level over the whole range", "[lrp][lstm]") {
  for (const char* level : {"generic", "v2", "v3", "v4", "native"}) {
    if (const auto* k = lstm_kernels::table_f64_of(level)) check_activations<double>(*k, 1.2e-15);
    if (const auto* k = lstm_kernels::table_f32_of(level)) check_activations<float>(*k, 5e-7);
  }
}

TEST_CASE("lstm: packed batches and shape errors", "[lrp][lstm]") {
  const LstmBatch b = LstmBatch::packed({3, 3, 1, 0});
  CHECK(b.n_steps() == 3);
  CHECK(b.n_at == std::vector<Index>{3, 2, 2});
  CHECK(b.offset == std::vector<Index>{0, 3, 5, 7});
  CHECK(b.n_rows() == 7);
  CHECK_FALSE(b.equal_lengths());
  CHECK(LstmBatch::equal(4, 2).offset == std::vector<Index>{0, 4, 8});
  CHECK_THROWS_AS(LstmBatch::packed({1, 2}), InvalidArgument);
  CHECK_THROWS_AS(LstmBatch::packed({-1}), InvalidArgument);
  const LstmMat<double> w_ih = LstmMat<double>::Zero(8, 3), w_hh = LstmMat<double>::Zero(8, 3);
  CHECK_THROWS_AS(Lstm<double>(w_ih, w_hh, Eigen::VectorXd::Zero(8)),
                  InvalidArgument);  // H = 3 needs 12 rows
}

namespace {

// relevance_pair() against relevance() on each layer alone: the same operations in the same order,
// so the same bits; and a reused scratch gives the same bits as a fresh one.
template <class T>
void check_pair(Index H, Index E, Index steps, const LstmLrpSettings& st) {
  INFO((sizeof(T) == 8 ? "float64" : "float32")
       << " H " << H << " E " << E << " T " << steps << " bias factor " << st.bias_factor << " rule "
       << static_cast<int>(st.gate_rule));
  auto mat = [](Index r, Index c, unsigned seed, double scale) {
    const auto v = rnd(static_cast<std::size_t>(r * c), seed, scale);
    return LstmMat<double>(Eigen::Map<const LstmMat<double>>(v.data(), r, c));
  };
  const Eigen::VectorXd b1 = mat(4 * H, 1, 3, 0.2).col(0), b2 = mat(4 * H, 1, 6, 0.2).col(0);
  const Lstm<T> a(mat(4 * H, E, 1, 0.4), mat(4 * H, H, 2, 0.4), b1);
  const Lstm<T> b(mat(4 * H, E, 4, 0.4), mat(4 * H, H, 5, 0.4), b2);
  const LstmMat<T> x = mat(steps, E, 7, 1.0).template cast<T>();
  LstmMat<T> zx(steps, 4 * H);
  LstmCache<T> ca, cb;
  const LstmBatch one = LstmBatch::equal(1, steps);
  a.project(x.data(), E, steps, zx.data(), 4 * H);
  a.forward(one, zx.data(), 4 * H, false, &ca);
  b.project(x.data(), E, steps, zx.data(), 4 * H);
  b.forward(one, zx.data(), 4 * H, true, &cb);
  const std::vector<T> rh_a = as<T>(rnd(static_cast<std::size_t>(H), 8, 1.0));
  const std::vector<T> rh_b = as<T>(rnd(static_cast<std::size_t>(H), 9, 1.0));
  LstmMat<T> ra(steps, E), rb(steps, E), pa(steps, E), pb(steps, E);
  const double rest_a = a.relevance(ca, rh_a.data(), st, x.data(), E, false, ra.data(), E);
  const double rest_b = b.relevance(cb, rh_b.data(), st, x.data(), E, true, rb.data(), E);
  LstmLrpScratch<T> scratch[2];
  for (int round = 0; round < 2; ++round) {  // the second round reuses the scratch
    LstmLrpJob<T> ja, jb;
    ja.cache = &ca;
    ja.r_h_last = rh_a.data();
    ja.x = x.data();
    ja.ldx = E;
    ja.r_x = pa.data();
    ja.ldrx = E;
    ja.scratch = &scratch[0];
    jb = ja;
    jb.cache = &cb;
    jb.r_h_last = rh_b.data();
    jb.reverse_steps = true;
    jb.r_x = pb.data();
    jb.scratch = &scratch[1];
    // The second round also leaves r_rest out (sum_rest = false, as explain() asks): 0, the rest
    // the same.
    ja.sum_rest = jb.sum_rest = round == 0;
    ja.r_rest = jb.r_rest = 5;
    pa.setConstant(T(7));
    pb.setConstant(T(7));
    Lstm<T>::relevance_pair(a, &ja, b, &jb, st);
    CHECK(ja.r_rest == (round == 0 ? rest_a : 0.0));
    CHECK(jb.r_rest == (round == 0 ? rest_b : 0.0));
    CHECK(pa == ra);
    CHECK(pb == rb);
  }
  CHECK(ra.allFinite());
  CHECK(ra.cwiseAbs().maxCoeff() > 0);
}

}  // namespace

TEST_CASE("lstm: relevance_pair gives relevance() of each layer bit for bit", "[lrp][lstm]") {
  for (const LstmGateRule rule :
       {LstmGateRule::kSignalTakeAll, LstmGateRule::kHalf, LstmGateRule::kProportional}) {
    for (const double bias_factor : {0.0, 1.0}) {
      LstmLrpSettings st;
      st.gate_rule = rule;
      st.bias_factor = bias_factor;
      check_pair<double>(60, 60, 20, st);
      check_pair<float>(60, 60, 20, st);
      check_pair<double>(7, 5, 3, st);
      check_pair<float>(13, 9, 1, st);
    }
  }
}

TEST_CASE("lstm: RecentRows reports a row read within the last kMaxAge rounds, and no other", "[lrp][lstm]") {
  using detail::RecentRows;
  std::vector<double> table(64 * 1024);
  const auto row = [&](std::size_t r) { return static_cast<const void*>(table.data() + 8 * r); };
  RecentRows recent;
  recent.next_round();
  CHECK_FALSE(recent.seen(row(3)));
  CHECK(recent.seen(row(3)));  // the same round: just read
  for (std::uint32_t i = 1; i < RecentRows::kMaxAge; ++i) recent.next_round();
  CHECK(recent.seen(row(3)));  // kMaxAge − 1 rounds later: still (and recorded again now)
  for (std::uint32_t i = 0; i < RecentRows::kMaxAge; ++i) recent.next_round();
  CHECK_FALSE(recent.seen(row(3)));  // kMaxAge rounds later: not any more
  // Other rows displace earlier ones from their slots: of kSlots rows read, then 4·kSlots others,
  // only a few are still reported (each survives with probability (1 − 1/kSlots)^(4·kSlots) ≈ e^−4).
  recent.next_round();
  for (std::size_t r = 0; r < RecentRows::kSlots; ++r) recent.seen(row(100 + r));
  for (std::size_t r = 0; r < 4 * RecentRows::kSlots; ++r) recent.seen(row(1000 + r));
  int still = 0;
  for (std::size_t r = 0; r < RecentRows::kSlots; ++r) still += recent.seen(row(100 + r)) ? 1 : 0;
  CHECK(still < RecentRows::kSlots / 4);
}
