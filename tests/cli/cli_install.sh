#!/usr/bin/env bash
# `cmake --install` into a temporary prefix gives a package an outside project can use: the
# consumer in tests/install/consumer (its own CMake project; only CMAKE_PREFIX_PATH points at the
# prefix) finds it with find_package(textlrp CONFIG REQUIRED), builds against the installed headers
# and static libraries, and runs: the version, ICU word tokens with their byte spans, and the tensors
# of a safetensors file, each compared with what this build and the file itself say. Also checks the
# installed layout, the version file (a request for another major version is refused) and the
# pkg-config file (a program compiled and linked with its flags only; one that trains a model with
# textlrp/train.h, opens it and explains a text with textlrp/textlrp.h, as the CLI does).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT="${TEXTLRP_SOURCE_DIR:?}"
BUILD="${TEXTLRP_BUILD_DIR:-$(dirname "$(dirname "$TEXTLRP")")}"
P="$WORK/prefix"
CXX_BIN="${TEXTLRP_CXX_COMPILER:-c++}"

cmake --install "$BUILD" --prefix "$P" >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log" >&2; fail "cmake --install"; }
for f in include/textlrp/version.h include/textlrp/config.h include/textlrp/core/error.h \
         include/textlrp/core/safetensors.h include/textlrp/nlp/tokenizer.h include/textlrp/lrp/models/classifier.h \
         include/textlrp/analysis/knn.h include/textlrp/explain/pipeline.h include/textlrp/explain/explanation.h \
         include/textlrp/report/report.h include/textlrp/corpora/input.h lib/libtextlrp_explain.a lib/libtextlrp_report.a \
         lib/libtextlrp_core.a lib/libtextlrp_nlp.a lib/libtextlrp_lrp.a \
         lib/cmake/textlrp/textlrpConfig.cmake lib/cmake/textlrp/textlrpConfigVersion.cmake \
         lib/cmake/textlrp/textlrpTargets.cmake lib/pkgconfig/textlrp.pc bin/textlrp; do
  [ -f "$P/$f" ] || fail "not installed: $f"
done
ok "installed headers under include/textlrp/<module>/, libraries, CMake package, textlrp.pc, the tool"
[ ! -e "$P/include/textlrp/nlp/sentencepiece_status.h" ] && [ ! -e "$P/include/textlrp/report/report_parts.h" ] ||
  fail "an internal header was installed"
if grep -rlE '#include <(CLI/|catch2|unicode/|sentencepiece|linear\.h|fasttext/)' "$P/include"; then
  fail "installed headers include CLI11, Catch2, ICU, SentencePiece or a solver (files above)"
fi
ok "no installed header includes CLI11, Catch2, ICU, SentencePiece, liblinear or libfasttext"
# The library's headers stand without the tool's: none includes apps/ (which is not installed).
if grep -rlE '#include ["<]apps/' "$P/include"; then fail "installed headers include apps/ (files above)"; fi
[ ! -e "$P/include/textlrp/apps" ] || fail "the tool's headers (apps/) were installed"
ok "no installed header includes apps/; explain/ and report/ are installed as library modules"

cargs=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$P" -DCMAKE_CXX_COMPILER="$CXX_BIN")
[ -n "${TEXTLRP_CXX_LAUNCHER:-}" ] && cargs+=(-DCMAKE_CXX_COMPILER_LAUNCHER="$TEXTLRP_CXX_LAUNCHER")
cmake -S "$ROOT/tests/install/consumer" -B "$WORK/consumer" "${cargs[@]}" >"$WORK/configure.log" 2>&1 ||
  { cat "$WORK/configure.log" >&2; fail "configuring the consumer against $P"; }
grep -q "textlrp $("$TEXTLRP" --version | cut -d' ' -f2) found in $P/lib/cmake/textlrp" "$WORK/configure.log" ||
  { cat "$WORK/configure.log" >&2; fail "find_package(textlrp) did not find the installed package"; }
ok "find_package(textlrp CONFIG REQUIRED) finds $P with only CMAKE_PREFIX_PATH"
cmake --build "$WORK/consumer" >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; fail "building the consumer"; }
ok "the consumer builds against the installed package"

text='Hello, wörld! Straße 42'
st="$ROOT/tests/data/corrupt/cnn-ok.safetensors"
"$WORK/consumer/consumer" "$text" "$st" >"$WORK/out.txt" || fail "the consumer failed"
[ "$(sed -n 1p "$WORK/out.txt")" = "version $("$TEXTLRP" --version | cut -d' ' -f2) ($("$TEXTLRP" --version | cut -d' ' -f2))" ] ||
  fail "consumer version line: $(sed -n 1p "$WORK/out.txt")"
# Each token's span must cut its own surface out of the text (consumer prints text, begin, end, text[begin:end]).
python3 - "$text" "$WORK/out.txt" "$st" <<'PY' || fail "consumer output does not match the text or the file"
import json, struct, sys
text, out, st = sys.argv[1].encode(), open(sys.argv[2], encoding="utf-8").read().splitlines(), sys.argv[3]
tokens = [l.split(" ") for l in out if l.startswith("token ")]
assert [t[1] for t in tokens] == ["hello", "wörld", "strasse", "42"], tokens
for _, tok, b, e, surface in tokens:
    assert text[int(b):int(e)].decode() == surface, (tok, b, e, surface)
raw = open(st, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
want = sorted("tensor %s [%s]" % (k, " x ".join(str(d) for d in v["shape"])) for k, v in header.items() if k != "__metadata__")
got = sorted(l for l in out if l.startswith("tensor "))
assert got == want, (got, want)
PY
ok "the consumer tokenizes (spans cut the surfaces) and reads every tensor of a safetensors file"

mkdir -p "$WORK/v99"
cat >"$WORK/v99/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.20)
project(v99 LANGUAGES CXX)
find_package(textlrp 99 CONFIG REQUIRED)
CM
if cmake -S "$WORK/v99" -B "$WORK/v99/b" -DCMAKE_PREFIX_PATH="$P" -DCMAKE_CXX_COMPILER="$CXX_BIN" >"$WORK/v99.log" 2>&1; then
  fail "find_package(textlrp 99) accepted version $("$TEXTLRP" --version)"
fi
grep -q 'compatible with requested version "99"' "$WORK/v99.log" || { cat "$WORK/v99.log" >&2; fail "find_package(textlrp 99) failed for another reason"; }
ok "find_package(textlrp 99) is refused (textlrpConfigVersion.cmake: $("$TEXTLRP" --version | cut -d" " -f2) is not compatible)"

export PKG_CONFIG_PATH="$P/lib/pkgconfig"
[ "$(pkg-config --modversion textlrp)" = "$("$TEXTLRP" --version | cut -d' ' -f2)" ] || fail "pkg-config --modversion textlrp"
cat >"$WORK/pc.cpp" <<'CPP'
#include <textlrp/core/error.h>
#include <textlrp/version.h>
#include <cstdio>
int main() {
  try {
    throw textlrp::FormatError("x.bin: byte 3: expected a digit, got 'q'");
  } catch (const textlrp::Error& e) {
    std::printf("%s %s\n", TEXTLRP_VERSION, e.what());
  }
}
CPP
# shellcheck disable=SC2046
"$CXX_BIN" -std=c++20 "$WORK/pc.cpp" -o "$WORK/pc" $(pkg-config --cflags textlrp) $(pkg-config --libs textlrp) ||
  fail "compiling and linking with pkg-config --cflags --libs textlrp"
[ "$("$WORK/pc")" = "$("$TEXTLRP" --version | cut -d' ' -f2) x.bin: byte 3: expected a digit, got 'q'" ] || fail "pkg-config program output: $("$WORK/pc")"
ok "pkg-config: textlrp.pc compiles and links a program against the prefix"

# The public API through pkg-config alone: textlrp/train.h trains a model directory from four
# documents, textlrp/textlrp.h opens it and explains a text (libtextlrp_api and what it needs).
pc_libs="$(pkg-config --libs textlrp)"
for l in -ltextlrp_api -ltextlrp_analysis -ltextlrp_explain -ltextlrp_report -ltextlrp_train -ltextlrp_core; do
  grep -qe "$l" <<<"$pc_libs" || fail "pkg-config --libs textlrp lacks $l: $pc_libs"
done
# ... and not the command-line tool's own code (apps/common), nor is it installed.
! grep -qe "-ltextlrp_app_common" <<<"$pc_libs" || fail "pkg-config --libs textlrp links the tool's app_common: $pc_libs"
! ls "$P"/lib*/libtextlrp_app_common* >/dev/null 2>&1 || fail "the tool's libtextlrp_app_common is installed"
[ -f "$P/include/textlrp/train.h" ] || fail "not installed: include/textlrp/train.h"
cat >"$WORK/pc_api.cpp" <<'CPP'
#include <textlrp/textlrp.h>
#include <textlrp/train.h>
#include <cstdio>
int main(int argc, char** argv) {
  if (argc != 2) return 2;
  textlrp::TrainOptions o;
  o.dev_fraction = 0;
  const textlrp::TrainSummary s = textlrp::train_model(
      {{"free prize entry now", "spam"}, {"see you at six", "ham"}, {"win a free prize", "spam"},
       {"lunch at six then", "ham"}}, argv[1], o);
  const textlrp::Model m = textlrp::Model::open(argv[1]);
  const textlrp::Explanation e = m.explain("free lunch prize");
  std::printf("%s %zu %s %zu\n", s.architecture.c_str(), s.labels.size(), e.prediction.c_str(), e.tokens.size());
}
CPP
# shellcheck disable=SC2046
"$CXX_BIN" -std=c++20 "$WORK/pc_api.cpp" -o "$WORK/pc_api" $(pkg-config --cflags textlrp) $pc_libs ||
  fail "compiling and linking the API program with pkg-config --cflags --libs textlrp"
"$WORK/pc_api" "$WORK/pc_model" >"$WORK/pc_api.txt" || fail "the pkg-config API program failed"
[ "$(cut -d' ' -f1,2,4 "$WORK/pc_api.txt")" = "bow_svm 2 3" ] || fail "pkg-config API program output: $(cat "$WORK/pc_api.txt")"
"$TEXTLRP" explain --model "$WORK/pc_model" --input - <<<'{"text":"free lunch prize"}' >"$WORK/pc_cli.jsonl" ||
  fail "textlrp explain on the API-trained model"
grep -q "\"prediction\":\"$(cut -d' ' -f3 "$WORK/pc_api.txt")\"" "$WORK/pc_cli.jsonl" ||
  fail "the CLI predicts otherwise than the API program: $(cat "$WORK/pc_cli.jsonl")"
ok "pkg-config: a program on textlrp/train.h and textlrp/textlrp.h trains, opens and explains (as the CLI)"
echo "$n_checks passed, 0 failed"
