#!/usr/bin/env bash
# The corruption corpus (tests/data/corrupt, made by make_corpus.py): every malformed input makes
# the CLI exit 1 with a one-line message on stderr that names the file and matches the expected
# pattern of cases.tsv (position and problem), and no output file is left behind.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
C="$TEXTLRP_SOURCE_DIR/tests/data/corrupt"

# A valid toy CNN (imported from the valid PyTorch file the safetensors cases break).
"$TEXTLRP" import pytorch --arch cnn --weights "$C/cnn-ok.safetensors" --vocab "$C/vocab-ok.txt" \
  --labels pos,neg --out "$WORK/model" -q
printf '{"text": "good movie"}\n' >"$WORK/docs.jsonl"
"$TEXTLRP" predict --model "$WORK/model" --input "$WORK/docs.jsonl" >/dev/null || fail "the valid toy model does not load"
ok "the valid toy model loads and predicts"

n=0
while IFS=$'\t' read -r file kind expected; do
  case "$file" in '#'* | '') continue ;; esac
  f="$C/$file"
  out="$WORK/out"
  rm -rf "$out" "$WORK/m"
  case "$kind" in
    safetensors) cmd=("$TEXTLRP" import pytorch --arch cnn --weights "$f" --vocab "$C/vocab-ok.txt" --out "$out") ;;
    model-weights | model-config | model-vocab)
      cp -r "$WORK/model" "$WORK/m"
      case "$kind" in
        model-weights) cp "$f" "$WORK/m/model.safetensors" ;;
        model-config) cp "$f" "$WORK/m/config.json" ;;
        model-vocab) cp "$f" "$WORK/m/vocab.txt" ;;
      esac
      f="$WORK/m/$(case "$kind" in model-weights) echo model.safetensors ;; model-config) echo config.json ;; *) echo vocab.txt ;; esac)"
      cmd=("$TEXTLRP" predict --model "$WORK/m" --input "$WORK/docs.jsonl" --output "$out") ;;
    vectors) cmd=("$TEXTLRP" embeddings inspect -q "$f") ;;
    jsonl) cmd=("$TEXTLRP" predict --model "$WORK/model" --input "$f" --output "$out") ;;
    sst) cmd=("$TEXTLRP" predict --model "$WORK/model" --corpus "sst:$f" --output "$out") ;;
    tsv) cmd=("$TEXTLRP" predict --model "$WORK/model" --corpus "tsv:$f" --output "$out") ;;
    spm) cmd=("$TEXTLRP" tokenizer encode --model "$f") ;;
    explanations) cmd=("$TEXTLRP" validate --explanations "$f") ;;
    *) fail "cases.tsv: unknown kind '$kind' for $file" ;;
  esac
  got=0
  printf 'good movie\n' | "${cmd[@]}" >"$WORK/stdout" 2>"$WORK/stderr" || got=$?
  [ "$got" -eq 1 ] || { cat "$WORK/stderr" >&2; fail "$file ($kind): expected exit 1, got $got"; }
  [ "$(wc -l <"$WORK/stderr")" -eq 1 ] || { cat "$WORK/stderr" >&2; fail "$file ($kind): expected a one-line message"; }
  grep -qF -- "$f" "$WORK/stderr" || { cat "$WORK/stderr" >&2; fail "$file ($kind): the message does not name $f"; }
  grep -Eq -- "$expected" "$WORK/stderr" || { cat "$WORK/stderr" >&2; fail "$file ($kind): the message does not match /$expected/"; }
  [ ! -e "$out" ] || fail "$file ($kind): a failed run left $out"
  ok "$file: $(sed "s|$WORK/m/||; s|$C/||" "$WORK/stderr")"
  n=$((n + 1))
done <"$C/cases.tsv"
[ "$n" -ge 40 ] || fail "only $n corruption cases ran (expected at least 40)"
ok "$n corruption cases"
