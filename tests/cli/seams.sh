#!/usr/bin/env bash
# One seam per architecture (issue 13, item 4): the apps, the public API and the analyses never ask a
# model or a tokenizer which class it is. They ask the capability queries of lrp::Classifier
# (lrp/models/classifier.h: supports(), max_tokens(), embedding_matrix(), tfidf_features(),
# token_deletion(), deletion_scorer()) and the text encoder (nlp/text_encoder.h). This test fails on
#   - any dynamic_cast in apps/, api/ or the pipeline that came out of apps/ (explain/, report/);
#   - any comparison of a model's architecture() outside the model registry (lrp/models/);
#   - any comparison with an architecture's name ("bow_svm", "cnn", "bilstm", "bert") in apps/, api/,
#     analysis/, explain/ and report/, except with a variable named `arch` (`o.arch`, `s.arch`, `arch`): the architecture a
#     caller asks to BUILD (`train --arch`, `import pytorch --arch`, `bench --model-shape`,
#     Model::from_memory), not a question to a loaded model.
set -euo pipefail
ROOT="${TEXTLRP_SOURCE_DIR:?}"
bad=0
src() { grep -rnE "$1" "${@:2}" --include='*.h' --include='*.cpp' || true; }
hits="$(cd "$ROOT" && src 'dynamic_cast' apps api explain report)"
if [ -n "$hits" ]; then
  printf '%s\n' "$hits"
  echo "seam violation: dynamic_cast in apps/, api/, explain/ or report/ (ask a capability query of lrp::Classifier or nlp::TextEncoder)"
  bad=1
fi
hits="$(cd "$ROOT" && src 'architecture\(\)[[:space:]]*[!=]=|[!=]=[[:space:]]*[A-Za-z_.>-]*architecture\(\)' \
  apps api analysis explain report core nlp corpora embeddings lrp train | grep -v '^lrp/models/' || true)"
if [ -n "$hits" ]; then
  printf '%s\n' "$hits"
  echo "seam violation: a model's architecture() compared outside the model registry (lrp/models/)"
  bad=1
fi
names='"(bow_svm|cnn|bilstm|bert)"'
hits="$(cd "$ROOT" && src "([!=]=[[:space:]]*$names|$names[[:space:]]*[!=]=)" apps api analysis explain report | grep -vE '(\b[a-z]\.)?\barch\b' || true)"
if [ -n "$hits" ]; then
  printf '%s\n' "$hits"
  echo "seam violation: an architecture's name compared in apps/, api/, analysis/, explain/ or report/ (ask a capability query instead)"
  bad=1
fi
if [ "$bad" -ne 0 ]; then exit 1; fi
echo "1 passed, 0 failed"
