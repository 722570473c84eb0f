// report/report.cpp — the `textlrp report` page: its head, style and script, and the document
// cards (tokens coloured by relevance, scores, facts); the summary and index above them are
// report_index.cpp's.
#include "report/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <map>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/error.h"
#include "core/utf8.h"
#include "report/report_parts.h"

namespace textlrp::report {
using namespace parts;
namespace {

// Heatmap colours (RGB). Positive relevance supports the target class, negative speaks against it.
constexpr std::string_view kPositiveRgb = "220,38,38";  // red
constexpr std::string_view kNegativeRgb = "37,99,235";  // blue

// Inline CSS only: no @import, no url(), no web fonts, so the page makes no requests. The colour
// level classes .p1-.p20/.n1-.n20 are appended by css() below.
constexpr std::string_view kCss = R"css(
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;background:#f5f6f8;color:#1f2328;font:15px/1.55 system-ui,-apple-system,"Segoe UI",
Roboto,"Noto Sans","Helvetica Neue",Arial,sans-serif,"Apple Color Emoji","Segoe UI Emoji",
"Noto Color Emoji"}
.page{max-width:96rem;margin:0 auto;padding:1.25rem 1.5rem 3rem}
.top,.overview,.index{background:#fff;border:1px solid #d8dde3;border-radius:8px;padding:1rem 1.25rem;
margin-bottom:1.25rem}
.top h1{font-size:1.4rem;margin:0 0 .35rem}
.overview h2,.index h2{font-size:1.1rem;margin:0 0 .5rem}
.summary{margin:.2rem 0;color:#424a53}
.summary b{color:#1f2328}
.legend{display:flex;align-items:center;gap:.6rem;margin-top:.6rem;font-size:.85rem;
color:#424a53;flex-wrap:wrap}
.legend .bar{width:16rem;height:.9rem;border:1px solid #c9cfd6;border-radius:3px;
background:linear-gradient(90deg,rgb(37,99,235),#fff 50%,rgb(220,38,38))}
.legend .note{flex-basis:100%;font-size:.8rem;color:#57606a}
.model-stats{margin:0 0 1rem}
.model-stats h3{font-size:1rem;margin:.2rem 0}
.cm-wrap{overflow-x:auto}
table.cm{border-collapse:collapse;font-size:.78rem;font-variant-numeric:tabular-nums}
table.cm th,table.cm td{border:1px solid #eaeef2;padding:.1rem .3rem;text-align:right}
table.cm th{background:#f6f8fa;font-weight:600}
table.cm th.row{text-align:left;white-space:nowrap}
table.cm td.d{background:#dafbe1;font-weight:600}
table.cm td.e{background:#ffebe9}
table.cm td.z{color:#c9cfd6}
#filters{display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center;font-size:.9rem;margin:0 0 .6rem}
#filters[hidden]{display:none}
#filters select{max-width:18rem}
.index-wrap{max-height:24rem;overflow:auto;border:1px solid #eaeef2;border-radius:6px}
table.ix{border-collapse:collapse;width:100%;font-size:.82rem;font-variant-numeric:tabular-nums}
table.ix th{position:sticky;top:0;background:#f6f8fa;text-align:left;padding:.15rem .5rem}
table.ix td{padding:.05rem .5rem;border-top:1px solid #f0f2f4;overflow-wrap:anywhere}
table.ix td.num{text-align:right}
table.ix tr.x td:nth-child(4){color:#cf222e;font-weight:600}
.doc{background:#fff;border:1px solid #d8dde3;border-radius:8px;padding:1rem 1.25rem;
margin:0 0 1.25rem;content-visibility:auto;contain-intrinsic-size:auto 40rem}
.doc-head{display:flex;flex-wrap:wrap;align-items:baseline;gap:.4rem 1rem;
border-bottom:1px solid #eaeef2;padding-bottom:.5rem;margin-bottom:.75rem}
.doc-head h2{font-size:1.1rem;margin:0;overflow-wrap:anywhere}
.doc-head .n{color:#8c959f;font-weight:normal;margin-right:.4rem}
.doc-head .label{color:#424a53}
.views{display:grid;grid-template-columns:repeat(var(--n,1),minmax(0,1fr));gap:1.25rem}
@media (max-width:60rem){.views{grid-template-columns:minmax(0,1fr)}}
.view{min-width:0}
.views.multi .view{border-left:3px solid #eaeef2;padding-left:.9rem}
.view-head h3{font-size:1rem;margin:0 0 .3rem;overflow-wrap:anywhere}
.view-head h3 .method{font-weight:normal;color:#57606a}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.05rem .8rem;margin:0 0 .5rem;
font-size:.9rem}
.facts dt{color:#57606a}
.facts dd{margin:0;overflow-wrap:anywhere}
.right{color:#1a7f37;font-weight:600}
.wrong{color:#cf222e;font-weight:600}
.tag{font-size:.75rem;color:#57606a;font-weight:normal}
.scores{font-size:.85rem;margin:0 0 .6rem}
.scores summary{cursor:pointer;color:#57606a}
.scores table{border-collapse:collapse;margin-top:.25rem}
.scores td{padding:.05rem .6rem .05rem .3rem;text-align:left;border-bottom:1px solid #f0f2f4}
.scores td+td{text-align:right;font-variant-numeric:tabular-nums}
.scores tr.target{background:#fff3c4;font-weight:600}
.note{font-size:.85rem;color:#9a6700}
.text{white-space:pre-wrap;overflow-wrap:anywhere;line-height:1.8;font-size:1rem;
border:1px solid #eaeef2;border-radius:6px;padding:.6rem .75rem;background:#fff}
.text i{font-style:normal;border-radius:3px;padding:.1em 0}
.text i.o{text-decoration:underline dotted #8c959f}
.text i.x{outline:1px dashed #9a6700}
.unseen{color:#8c959f;text-decoration:line-through;text-decoration-color:#c9cfd6}
.empty{color:#8c959f;font-style:italic}
)css";

// Number of colour levels per sign: |R| / scale is rounded to the nearest 1/kLevels. Levels below
// kMinLevel (|R| under 7.5% of the scale: opacity 0.05 would be invisible anyway) are drawn as
// plain text, without an element — about half the tokens of a 20 Newsgroups post under a BoW/SVM.
constexpr int kLevels = 20;
constexpr int kMinLevel = 2;
// From this level on the token text is white for contrast (opacity 0.65).
constexpr int kWhiteTextLevel = 14;

const std::string& css() {
  static const std::string full = [] {
    std::string s(kCss);
    for (int sign = 0; sign < 2; ++sign) {
      for (int l = kMinLevel; l <= kLevels; ++l) {
        fmt::format_to(std::back_inserter(s), ".{}{}{{background:rgba({},{:.2f}){}}}", sign == 0 ? 'p' : 'n',
                       l, sign == 0 ? kPositiveRgb : kNegativeRgb, static_cast<double>(l) / kLevels,
                       l >= kWhiteTextLevel ? ";color:#fff" : "");
      }
      s += '\n';
    }
    return s;
  }();
  return full;
}

// The page's only script: filters and sorting for the index and the cards. The page reads fully
// without it (the filter form starts hidden). Query parameters set the initial state:
// ?misclassified=1&true=LABEL&pred=LABEL&sort=asc|desc (for links and tests).
constexpr std::string_view kScript = R"js(
(function(){
var f=document.getElementById('filters');if(!f)return;f.hidden=false;
var rows=Array.prototype.slice.call(document.querySelectorAll('#index tbody tr'));
var cards=Array.prototype.slice.call(document.querySelectorAll('main>section.doc'));
var e=f.elements,n=document.getElementById('shown'),q=new URLSearchParams(location.search);
if(q.get('misclassified')==='1')e.mis.checked=true;
if(q.has('true'))e.t.value=q.get('true');
if(q.has('pred'))e.p.value=q.get('pred');
if(q.has('sort'))e.sort.value=q.get('sort');
function conf(i){var c=parseFloat(rows[i].getAttribute('data-c'));return isNaN(c)?-Infinity:c;}
function apply(){
var order=rows.map(function(r,i){return i;}),s=e.sort.value,k=0;
if(s==='asc'||s==='desc')order.sort(function(a,b){var d=conf(a)-conf(b);if(s==='desc')d=-d;return d||a-b;});
var tb=rows.length?rows[0].parentNode:null,main=cards.length?cards[0].parentNode:null;
order.forEach(function(i){var r=rows[i],ok=r.getAttribute('data-ok');
var show=(!e.mis.checked||ok==='0')&&(!e.t.value||r.getAttribute('data-t')===e.t.value)&&
(!e.p.value||r.getAttribute('data-p')===e.p.value);
r.hidden=!show;if(show)k++;tb.appendChild(r);
if(cards[i]){cards[i].hidden=!show;main.appendChild(cards[i]);}});
n.textContent=k+' of '+rows.length+' documents shown';
document.body.setAttribute('data-shown',String(k));
}
f.addEventListener('change',apply);
if(q.toString())apply();else n.textContent=rows.length+' of '+rows.length+' documents shown';
})();
)js";

// SHA-256 (FIPS 180-4) for the script's Content-Security-Policy hash.
std::array<std::uint8_t, 32> sha256(std::string_view data) {
  static constexpr std::uint32_t k[64] = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
      0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
      0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
      0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
      0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
      0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
      0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
  std::uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::string msg(data);
  const std::uint64_t bits = static_cast<std::uint64_t>(data.size()) * 8;
  msg.push_back(static_cast<char>(0x80));
  while (msg.size() % 64 != 56) msg.push_back('\0');
  for (int i = 7; i >= 0; --i) msg.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  auto rotr = [](std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); };
  for (std::size_t off = 0; off < msg.size(); off += 64) {
    std::uint32_t w[64];
    for (int i = 0; i < 16; ++i) {
      w[i] = 0;
      for (int b = 0; b < 4; ++b) w[i] = (w[i] << 8) | static_cast<unsigned char>(msg[off + 4 * i + b]);
    }
    for (int i = 16; i < 64; ++i) {
      const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; ++i) {
      const std::uint32_t t1 =
          hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
      const std::uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      hh = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
  }
  std::array<std::uint8_t, 32> out{};
  for (int i = 0; i < 8; ++i) {
    for (int b = 0; b < 4; ++b) out[4 * i + b] = static_cast<std::uint8_t>(h[i] >> (24 - 8 * b));
  }
  return out;
}

std::string base64(const std::uint8_t* p, std::size_t n) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < n; i += 3) {
    const std::uint32_t v = (std::uint32_t{p[i]} << 16) | (i + 1 < n ? std::uint32_t{p[i + 1]} << 8 : 0) |
                            (i + 2 < n ? std::uint32_t{p[i + 2]} : 0);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < n ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < n ? kAlphabet[v & 63] : '=';
  }
  return out;
}

// Where a bad record is, for FormatError messages.
std::string describe(const ExplanationRecord& r) {
  std::string s = fmt::format("report: document '{}'", r.id);
  if (!r.model.empty()) s += fmt::format(" (model '{}')", r.model);
  return s;
}

bool is_utf8_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Largest finite |relevance| over the tokens the model read; 0 when there is none.
double max_abs_relevance(const ExplanationRecord& r) {
  double m = 0;
  for (const TokenRelevance& t : r.tokens) {
    if (std::isfinite(t.relevance) && !t.unseen) m = std::max(m, std::abs(t.relevance));
  }
  return m;
}

// Colour level of a relevance: -kLevels..kLevels (0 = no colour).
int colour_level(double relevance, double scale) {
  if (!std::isfinite(relevance) || scale <= 0 || relevance == 0) return 0;
  const int l = static_cast<int>(std::lround(std::min(1.0, std::abs(relevance) / scale) * kLevels));
  if (l < kMinLevel) return 0;
  return relevance > 0 ? l : -l;
}

// One token: <i class=p7>surface</i> (n7 for negative, o = out of vocabulary, x = not finite), or
// the plain escaped surface when it has no colour and no mark. Leading whitespace of the surface (a
// subword piece's space) stays outside the highlight.
void append_token(std::string& out, const TokenRelevance& t, std::string_view surface, double scale) {
  const std::size_t lead = std::min(surface.find_first_not_of(" \t\r\n"), surface.size());
  append_escaped(out, surface.substr(0, lead));
  surface.remove_prefix(lead);
  const int level = colour_level(t.relevance, scale);
  const bool nonfinite = !std::isfinite(t.relevance);
  if (surface.empty() || (level == 0 && !t.oov && !nonfinite)) {
    append_escaped(out, surface);
    return;
  }
  std::string cls;
  if (level != 0) cls = fmt::format("{}{}", level > 0 ? 'p' : 'n', std::abs(level));
  if (t.oov) cls += cls.empty() ? "o" : " o";
  if (nonfinite) cls += cls.empty() ? "x" : " x";
  out += cls.find(' ') == std::string::npos ? "<i class=" + cls + ">" : "<i class=\"" + cls + "\">";
  append_escaped(out, surface);
  out += "</i>";
}

void open_unseen(std::string& out, const ExplanationRecord& r) {
  out += "<span class=unseen title=\"not read by the model";
  if (r.max_tokens) fmt::format_to(std::back_inserter(out), " (it reads at most {} tokens)", *r.max_tokens);
  out += "\">";
}

// The document text with highlighted tokens (see render_report for the two modes).
void append_text(std::string& out, const ExplanationRecord& r, double scale) {
  std::size_t n_spans = 0;
  for (const TokenRelevance& t : r.tokens) n_spans += (t.begin && t.end) ? 1 : 0;

  out += "<div class=\"text\">";
  if (r.tokens.empty() && r.text.empty()) {
    out += "<span class=\"empty\">(empty document)</span></div>\n";
    return;
  }
  if (n_spans == 0) {  // pre-tokenized: tokens separated by single spaces
    bool unseen = false;
    for (std::size_t i = 0; i < r.tokens.size(); ++i) {
      if (i) out += ' ';
      if (r.tokens[i].unseen && !unseen) {
        open_unseen(out, r);
        unseen = true;
      }
      if (unseen) {
        append_escaped(out, r.tokens[i].text);
      } else {
        append_token(out, r.tokens[i], r.tokens[i].text, scale);
      }
    }
    if (unseen) out += "</span>";
    if (r.tokens.empty()) append_escaped(out, r.text);
    out += "</div>\n";
    return;
  }
  if (n_spans != r.tokens.size()) {
    throw FormatError(fmt::format("{}: {} of {} tokens have spans (begin/end); expected all or none",
                                  describe(r), n_spans, r.tokens.size()));
  }
  const std::string_view text = r.text;
  std::size_t prev_end = 0;
  for (std::size_t i = 0; i < r.tokens.size(); ++i) {
    const TokenRelevance& t = r.tokens[i];
    const std::size_t begin = *t.begin;
    const std::size_t end = *t.end;
    if (begin > end || end > text.size()) {
      throw FormatError(fmt::format("{}: tokens[{}]: span [{}, {}) is outside the text ({} bytes)",
                                    describe(r), i, begin, end, text.size()));
    }
    if (begin < prev_end) {
      throw FormatError(
          fmt::format("{}: tokens[{}]: span [{}, {}) starts before the end of the previous token ({})",
                      describe(r), i, begin, end, prev_end));
    }
    if ((begin < text.size() && is_utf8_continuation(text[begin])) ||
        (end < text.size() && is_utf8_continuation(text[end]))) {
      throw FormatError(
          fmt::format("{}: tokens[{}]: span [{}, {}) splits a UTF-8 sequence", describe(r), i, begin, end));
    }
    append_escaped(out, text.substr(prev_end, begin - prev_end));
    if (t.unseen) {  // the model stopped reading here: the rest of the text, greyed and struck
      open_unseen(out, r);
      append_escaped(out, text.substr(begin));
      out += "</span></div>\n";
      return;
    }
    append_token(out, t, text.substr(begin, end - begin), scale);
    prev_end = end;
  }
  append_escaped(out, text.substr(prev_end));
  out += "</div>\n";
}

void append_scores(std::string& out, const ExplanationRecord& r) {
  if (r.scores.empty()) return;
  // Small label sets are shown open; long ones (20 Newsgroups) start folded.
  out += r.scores.size() <= 8 ? "<details class=\"scores\" open>" : "<details class=\"scores\">";
  fmt::format_to(std::back_inserter(out), "<summary>scores ({} classes)</summary><table>\n", r.scores.size());
  for (const auto& [label, score] : r.scores) {
    const bool is_target = label == r.target;
    out += is_target ? "<tr class=\"target\"><td>" : "<tr><td>";
    append_escaped(out, label);
    if (is_target) out += " <span class=\"tag\">target</span>";
    if (label == r.prediction) out += " <span class=\"tag\">predicted</span>";
    if (r.label && label == *r.label) out += " <span class=\"tag\">true</span>";
    out += "<td>";
    out += format_number(score, "{:.4g}");
    out += "\n";
  }
  out += "</table></details>\n";
}

void append_fact(std::string& out, std::string_view name, std::string_view escaped_value) {
  out += "<dt>";
  out += name;
  out += "<dd>";
  out += escaped_value;
}

std::size_t n_read(const ExplanationRecord& r) {
  std::size_t n = 0;
  for (const TokenRelevance& t : r.tokens) n += t.unseen ? 0 : 1;
  return n;
}

void append_view(std::string& out, const ExplanationRecord& r, double scale, bool shared) {
  out += "<article class=\"view\" data-model=\"";
  append_escaped(out, r.model);
  out += "\" data-method=\"";
  append_escaped(out, r.method);
  out += "\" data-rule=\"";
  append_escaped(out, r.rule);
  out += "\" data-prediction=\"";
  append_escaped(out, r.prediction);
  out += "\" data-target=\"";
  append_escaped(out, r.target);
  out += "\">\n<header class=\"view-head\"><h3>";
  append_escaped(out, model_name(r));
  out += " <span class=\"method\">";
  append_escaped(out, method_name(r));
  out += "</span></h3>\n<dl class=\"facts\">";

  std::string v;
  if (r.label) {
    const bool right = r.prediction == *r.label;
    v = right ? "<span class=\"right\">" : "<span class=\"wrong\">";
    append_escaped(v, r.prediction);
    v += right ? " &#10003;</span>" : " &#10007;</span>";
  } else {
    append_escaped(v, r.prediction);
  }
  append_fact(out, "prediction", v);
  v.clear();
  append_escaped(v, r.target);
  append_fact(out, "target", v);
  append_fact(out, "score", format_number(r.score, "{:.4g}"));
  if (r.special.empty()) {
    append_fact(out, "relevance", fmt::format("sum {:.4g} + bias {:.4g}", r.relevance_sum, r.bias_relevance));
  } else {  // a transformer: the tokens it adds itself ([CLS], [SEP]) have relevance too
    std::string special;
    double special_sum = 0;
    for (const auto& [name, value] : r.special) {
      special += special.empty() ? "" : ", ";
      append_escaped(special, name);
      special += fmt::format(" {:.4g}", value);
      special_sum += value;
    }
    append_fact(out, "relevance",
                fmt::format("sum {:.4g} + special {:.4g} + bias {:.4g}", r.relevance_sum, special_sum,
                            r.bias_relevance));
    append_fact(out, "special", special);
  }
  append_fact(out, "max |R|",
              shared
                  ? fmt::format("{:.4g} <span class=\"tag\">(full colour at {:.4g}, shared by the document's "
                                "views)</span>",
                                max_abs_relevance(r), scale)
                  : fmt::format("{:.4g} <span class=\"tag\">(full colour)</span>", max_abs_relevance(r)));
  out += "</dl>\n";
  append_scores(out, r);
  out += "</header>\n";
  if (r.truncated) {
    const std::size_t seen = n_read(r);
    if (r.max_tokens) {
      fmt::format_to(
          std::back_inserter(out),
          "<p class=\"note\">Truncated: the model reads at most {} tokens; it read {} of the {} tokens. "
          "The rest of the text (struck through) was not read and has no relevance.</p>\n",
          *r.max_tokens, seen, r.tokens.size());
    } else {
      out +=
          "<p class=\"note\">Truncated: the model did not read the whole text (its token limit is not "
          "recorded "
          "in this file); tokens it did not read carry no relevance.</p>\n";
    }
  }
  append_text(out, r, scale);
  out += "</article>\n";
}

// A transformer's view shows its words (a WordPiece piece with its "##" pieces, the record's "words"),
// not its pieces: a word is out of vocabulary when one of its pieces is ([UNK]) and unseen when its
// first piece is (truncation). Other records are returned as they are.
ExplanationRecord display_view(const ExplanationRecord& r) {
  if (r.special.empty() || !r.words) return r;
  for (const TokenRelevance& t : r.tokens) {
    if (!t.begin || !t.end) return r;
  }
  ExplanationRecord v = r;
  v.tokens.clear();
  std::size_t next = 0;
  for (const WordRelevance& w : *r.words) {
    TokenRelevance t;
    t.text = w.text;
    t.begin = w.begin;
    t.end = w.end;
    t.relevance = w.relevance;
    while (next < r.tokens.size() && *r.tokens[next].begin < w.begin) ++next;
    for (bool first = true; next < r.tokens.size() && *r.tokens[next].end <= w.end; ++next, first = false) {
      t.oov = t.oov || r.tokens[next].oov;
      if (first) t.unseen = r.tokens[next].unseen;
    }
    v.tokens.push_back(std::move(t));
  }
  return v;
}

void append_document(std::string& out, const ReportDocument& doc, std::size_t index, ColorScale scale_mode) {
  const std::size_t n_views = std::max<std::size_t>(doc.views.size(), 1);
  const ExplanationRecord* first = first_view(doc);
  fmt::format_to(std::back_inserter(out), "<section class=\"doc\" id=\"doc-{}\" style=\"--n:{}\" data-id=\"",
                 index + 1, n_views);
  if (first) append_escaped(out, first->id);
  fmt::format_to(std::back_inserter(out), "\">\n<header class=\"doc-head\"><h2><span class=\"n\">#{}</span>",
                 index + 1);
  if (first) append_escaped(out, first->id);
  out += "</h2>";
  for (const ExplanationRecord& r : doc.views) {
    if (!r.label) continue;
    out += "<span class=\"label\">true label: <b>";
    append_escaped(out, *r.label);
    out += "</b></span>";
    break;
  }
  out += "</header>\n";
  if (doc.views.empty()) {
    out += "<p class=\"empty\">(no explanations)</p>\n</section>\n";
    return;
  }
  std::vector<ExplanationRecord> views;
  views.reserve(doc.views.size());
  for (const ExplanationRecord& r : doc.views) views.push_back(display_view(r));
  double shared = 0;
  for (const ExplanationRecord& r : views) shared = std::max(shared, max_abs_relevance(r));
  const bool is_shared = scale_mode == ColorScale::kShared && views.size() > 1;
  out += views.size() > 1 ? "<div class=\"views multi\">\n" : "<div class=\"views\">\n";
  for (const ExplanationRecord& r : views) {
    append_view(out, r, is_shared ? shared : max_abs_relevance(r), is_shared);
  }
  out += "</div>\n</section>\n";
}

// Distinct values in order of first appearance.
}  // namespace

namespace parts {

void append_escaped(std::string& out, std::string_view text) { append_html_escaped(out, text); }

// "%.6g"-style number; "nan"/"inf" when not finite.
std::string format_number(double v, std::string_view spec) { return fmt::format(fmt::runtime(spec), v); }

std::string model_name(const ExplanationRecord& r) {
  return r.model.empty() ? std::string("(unnamed model)") : r.model;
}

std::string method_name(const ExplanationRecord& r) {
  return r.rule.empty() ? r.method : r.method + " " + r.rule;
}

// The view a document is summarised by (index, filters): its first view.
const ExplanationRecord* first_view(const ReportDocument& doc) {
  return doc.views.empty() ? nullptr : &doc.views.front();
}

// The score of the predicted class (the confidence the index sorts by); the target score when the
// scores do not list the prediction.
double confidence(const ExplanationRecord& r) {
  for (const auto& [label, s] : r.scores) {
    if (label == r.prediction) return s;
  }
  return r.score;
}

}  // namespace parts

std::string render_report(const std::vector<ReportDocument>& docs, const ReportOptions& options) {
  const std::size_t n_shown =
      options.max_documents == 0 ? docs.size() : std::min(options.max_documents, docs.size());
  const std::size_t n_total = options.total_documents ? options.total_documents : docs.size();
  std::size_t n_text_bytes = 0;
  for (std::size_t i = 0; i < n_shown; ++i) {
    for (const ExplanationRecord& r : docs[i].views) n_text_bytes += r.text.size() + 12 * r.tokens.size();
  }
  static const std::string script_hash = [] {
    const auto digest = sha256(kScript);
    return base64(digest.data(), digest.size());
  }();
  std::string out;
  out.reserve(16384 + n_text_bytes + 200 * n_shown);
  // The CSP is defence in depth: only the page's own script (by its hash) may run, nothing is fetched.
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; script-src 'sha256-";
  out += script_hash;
  out +=
      "'; base-uri 'none'; form-action 'none'\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"textlrp\">\n<title>";
  append_escaped(out, options.title);
  out += "</title>\n<style>";
  out += css();
  out += "</style>\n</head>\n<body>\n<div class=\"page\">\n<header class=\"top\">\n<h1>";
  append_escaped(out, options.title);
  out += "</h1>\n";
  append_summary(out, docs, n_shown, n_total);
  if (!options.selection_note.empty()) {
    out += "<p class=\"summary\">";
    append_escaped(out, options.selection_note);
    out += "</p>\n";
  }
  fmt::format_to(
      std::back_inserter(out),
      "<div class=\"legend\"><span>against target</span><span class=\"bar\"></span>"
      "<span>for target</span><span class=\"note\">Token colour: relevance for the target class in {} "
      "steps, scaled {} by its largest |relevance| (max |R|); tokens under 7.5% of it are not "
      "coloured. Exact values are in the explanations JSONL.</span></div>\n</header>\n",
      kLevels,
      options.color_scale == ColorScale::kShared ? "per document (one scale for all its views)"
                                                 : "per explanation");
  append_overview(out, docs, n_shown);
  append_index(out, docs, n_shown);
  out += "<main>\n";
  for (std::size_t i = 0; i < n_shown; ++i) append_document(out, docs[i], i, options.color_scale);
  out += "</main>\n</div>\n<script>";
  out += kScript;
  out += "</script>\n</body>\n</html>\n";
  return out;
}

std::string_view report_css() { return css(); }

void append_report_document(std::string& out, const ReportDocument& doc, std::size_t index,
                            ColorScale scale) {
  append_document(out, doc, index, scale);
}

ColorScale parse_color_scale(std::string_view text) {
  if (text == "view") return ColorScale::kPerView;
  if (text == "shared") return ColorScale::kShared;
  throw InvalidArgument(fmt::format("--color-scale '{}': expected view or shared", text));
}

}  // namespace textlrp::report
