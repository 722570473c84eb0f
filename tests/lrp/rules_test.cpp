#include "lrp/rules.h"

#include "core/error.h"
#include "tests/catch.h"

using namespace textlrp;
using namespace textlrp::lrp;
using Catch::Matchers::Contains;

TEST_CASE("rules: parse and print every rule", "[lrp][rules]") {
  REQUIRE(to_string(parse_rule("zero")) == "zero");
  REQUIRE(to_string(parse_rule("epsilon(0.001)")) == "epsilon(0.001)");
  REQUIRE(to_string(parse_rule(" epsilon ")) == "epsilon(1e-06)");
  REQUIRE(to_string(parse_rule("zplus")) == "zplus");
  REQUIRE(to_string(parse_rule("alphabeta(2,1)")) == "alphabeta(2,1)");
  REQUIRE(to_string(parse_rule("alphabeta(1, 0)")) == "alphabeta(1,0)");
  REQUIRE(to_string(parse_rule("gamma(0.5)")) == "gamma(0.5)");
  REQUIRE(to_string(parse_rule("flat")) == "flat");
  REQUIRE(to_string(parse_rule("wsquare")) == "wsquare");
  REQUIRE(std::get<rules::Epsilon>(parse_rule("epsilon(1e-3)")).epsilon == 1e-3);
}

TEST_CASE("rules: bad rules are usage errors listing the valid ones", "[lrp][rules]") {
  REQUIRE_THROWS_AS(parse_rule("magic"), InvalidArgument);
  REQUIRE_THROWS_WITH(parse_rule("magic"),
                      Contains("unknown rule 'magic'") && Contains("epsilon(e)") && Contains("wsquare"));
  REQUIRE_THROWS_WITH(parse_rule("epsilon(abc)"), Contains("expected a number"));
  REQUIRE_THROWS_WITH(parse_rule("epsilon(-1)"), Contains(">= 0"));
  REQUIRE_THROWS_WITH(parse_rule("alphabeta(2,2)"), Contains("alpha - beta = 1"));
  REQUIRE_THROWS_WITH(parse_rule("alphabeta(2)"), Contains("alphabeta"));
  REQUIRE_THROWS_WITH(parse_rule("zplus(1)"), Contains("expected 0 parameter"));
  REQUIRE_THROWS_WITH(parse_rule("epsilon(0.1"), Contains("expected ')'"));
  REQUIRE_THROWS_AS(parse_rule(""), InvalidArgument);
}

TEST_CASE("rules: role maps", "[lrp][rules]") {
  RuleMap m({{"conv", rules::Epsilon{}}, {"fc", rules::Epsilon{}}});
  REQUIRE(m.to_string() == "epsilon(1e-06)");
  m.apply("zplus");
  REQUIRE(m.to_string() == "zplus");
  m.apply("conv=alphabeta(2,1),fc=epsilon(0.01)");
  REQUIRE(m.to_string() == "conv=alphabeta(2,1),fc=epsilon(0.01)");
  m.apply("fc=gamma(0.25)");
  REQUIRE(to_string(m.at("conv")) == "alphabeta(2,1)");
  REQUIRE(to_string(m.at("fc")) == "gamma(0.25)");
  REQUIRE_THROWS_WITH(m.apply("lstm=zero"), Contains("unknown layer role 'lstm'") && Contains("conv, fc"));
  REQUIRE_THROWS_AS(m.apply("conv=nope"), InvalidArgument);
  REQUIRE_THROWS_AS(m.apply("zero,fc=zero"), InvalidArgument);
  // A failed apply leaves the map unchanged.
  REQUIRE(to_string(m.at("fc")) == "gamma(0.25)");
}
