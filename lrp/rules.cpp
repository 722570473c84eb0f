#include "lrp/rules.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>

#include "core/error.h"

namespace textlrp::lrp {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

double parse_number(std::string_view s, std::string_view rule_text) {
  s = trim(s);
  std::string buf(s);
  char* end = nullptr;
  const double v = std::strtod(buf.c_str(), &end);
  if (buf.empty() || end != buf.c_str() + buf.size() || !std::isfinite(v)) {
    throw InvalidArgument(fmt::format("rule '{}': expected a number, got '{}'", rule_text, s));
  }
  return v;
}

std::string fmt_num(double v) { return fmt::format("{}", v); }

}  // namespace

std::string_view rule_names() { return "zero, epsilon(e), zplus, alphabeta(a,b), gamma(g), flat, wsquare"; }

std::string to_string(const Rule& rule) {
  return std::visit(Overloaded{
                        [](const rules::Zero&) { return std::string("zero"); },
                        [](const rules::Epsilon& r) { return "epsilon(" + fmt_num(r.epsilon) + ")"; },
                        [](const rules::ZPlus&) { return std::string("zplus"); },
                        [](const rules::AlphaBeta& r) {
                          return "alphabeta(" + fmt_num(r.alpha) + "," + fmt_num(r.beta) + ")";
                        },
                        [](const rules::Gamma& r) { return "gamma(" + fmt_num(r.gamma) + ")"; },
                        [](const rules::Flat&) { return std::string("flat"); },
                        [](const rules::WSquare&) { return std::string("wsquare"); },
                    },
                    rule);
}

Rule parse_rule(std::string_view text) {
  const std::string_view t = trim(text);
  std::string_view name = t;
  std::vector<std::string_view> params;
  bool has_parens = false;
  if (const auto open = t.find('('); open != std::string_view::npos) {
    if (t.back() != ')') {
      throw InvalidArgument(
          fmt::format("rule '{}': expected ')' at the end; valid rules: {}", t, rule_names()));
    }
    has_parens = true;
    name = trim(t.substr(0, open));
    std::string_view inner = t.substr(open + 1, t.size() - open - 2);
    while (true) {
      const auto comma = inner.find(',');
      params.push_back(inner.substr(0, comma));
      if (comma == std::string_view::npos) break;
      inner.remove_prefix(comma + 1);
    }
  }
  auto want = [&](std::size_t n_min, std::size_t n_max) {
    const std::size_t n = has_parens ? params.size() : 0;
    if (n < n_min || n > n_max) {
      throw InvalidArgument(fmt::format(
          "rule '{}': expected {} parameter(s), got {}; valid rules: {}", t,
          n_min == n_max ? std::to_string(n_min) : fmt::format("{} to {}", n_min, n_max), n, rule_names()));
    }
    return n;
  };
  if (name == "zero" || name == "lrp0") {
    want(0, 0);
    return rules::Zero{};
  }
  if (name == "epsilon") {
    rules::Epsilon r;
    if (want(0, 1) == 1) r.epsilon = parse_number(params[0], t);
    if (r.epsilon < 0) throw InvalidArgument(fmt::format("rule '{}': epsilon must be >= 0", t));
    return r;
  }
  if (name == "zplus") {
    want(0, 0);
    return rules::ZPlus{};
  }
  if (name == "alphabeta") {
    rules::AlphaBeta r;
    if (want(0, 2) == 2) {
      r.alpha = parse_number(params[0], t);
      r.beta = parse_number(params[1], t);
    } else if (has_parens) {
      throw InvalidArgument(fmt::format("rule '{}': expected alphabeta(alpha,beta)", t));
    }
    if (std::abs(r.alpha - r.beta - 1.0) > 1e-9 || r.beta < 0) {
      throw InvalidArgument(fmt::format("rule '{}': alphabeta needs alpha - beta = 1 and beta >= 0", t));
    }
    return r;
  }
  if (name == "gamma") {
    rules::Gamma r;
    if (want(0, 1) == 1) r.gamma = parse_number(params[0], t);
    if (r.gamma < 0) throw InvalidArgument(fmt::format("rule '{}': gamma must be >= 0", t));
    return r;
  }
  if (name == "flat") {
    want(0, 0);
    return rules::Flat{};
  }
  if (name == "wsquare") {
    want(0, 0);
    return rules::WSquare{};
  }
  throw InvalidArgument(fmt::format("unknown rule '{}'; valid rules: {}", name, rule_names()));
}

void RuleMap::apply(std::string_view spec) {
  spec = trim(spec);
  if (spec.empty()) return;
  // Split at commas outside parentheses.
  std::vector<std::string_view> parts;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] == '(') ++depth;
    if (spec[i] == ')') --depth;
    if (spec[i] == ',' && depth == 0) {
      parts.push_back(spec.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(spec.substr(start));
  auto role_list = [&] {
    std::string s;
    for (const auto& [k, v] : rules_) s += (s.empty() ? "" : ", ") + k;
    return s;
  };
  std::map<std::string, Rule> updated = rules_;
  for (std::string_view part : parts) {
    part = trim(part);
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) {
      if (parts.size() != 1) {
        throw InvalidArgument(
            fmt::format("rule spec '{}': use RULE or ROLE=RULE,ROLE=RULE (roles: {})", spec, role_list()));
      }
      const Rule r = parse_rule(part);
      for (auto& [k, v] : updated) v = r;
      continue;
    }
    const std::string role(trim(part.substr(0, eq)));
    if (!rules_.count(role)) {
      throw InvalidArgument(fmt::format("unknown layer role '{}' in rule spec '{}'; this model's roles: {}",
                                        role, spec, role_list()));
    }
    updated[role] = parse_rule(part.substr(eq + 1));
  }
  rules_ = std::move(updated);
}

const Rule& RuleMap::at(const std::string& role) const {
  const auto it = rules_.find(role);
  TEXTLRP_ASSERT(it != rules_.end());
  return it->second;
}

std::string RuleMap::to_string() const {
  if (rules_.empty()) return "";
  const std::string first = lrp::to_string(rules_.begin()->second);
  bool same = true;
  for (const auto& [k, v] : rules_) same = same && lrp::to_string(v) == first;
  if (same) return first;
  std::string s;
  for (const auto& [k, v] : rules_) s += (s.empty() ? "" : ",") + k + "=" + lrp::to_string(v);
  return s;
}

}  // namespace textlrp::lrp
