#!/usr/bin/env python3
"""Writes hostile.jsonl: schema-1 explanations whose text, ids, labels and model names carry HTML
and script payloads plus non-ASCII text, for tests/cli/browser_report.sh. Run once; the output is
committed. Spans are UTF-8 byte offsets (begin/end index the encoded text, not Python str indices).

    python3 tests/data/report/make_hostile.py > tests/data/report/hostile.jsonl
"""
import json
import re

PWN = "document.title='PWNED'"
TOKEN = re.compile(r"\w+|[^\w\s]")  # words, and every other non-space character on its own


def spans(text):
    """(surface, begin, end) with UTF-8 byte offsets."""
    out = []
    for m in TOKEN.finditer(text):
        begin = len(text[: m.start()].encode("utf-8"))
        end = begin + len(m.group().encode("utf-8"))
        assert text.encode("utf-8")[begin:end].decode("utf-8") == m.group()
        out.append((m.group(), begin, end))
    return out


def relevance(word, i, model):
    """Deterministic made-up relevances of both signs; a few words stand out."""
    strong = {"café": 0.9, "bold": 0.8, "日本語": 0.7, "PWNED": -1.0, "script": -0.6,
              "Ελληνικά": 0.5, "naïve": -0.4, "😀": 0.3, "injected": -0.5}
    scale = 1.0 if model == "cnn" else 0.03  # the second model lives on a different scale
    if word in strong:
        return round(strong[word] * scale * (1 if model == "cnn" else -1), 6)
    return round(scale * (((i * 37) % 11) - 5) / 50.0, 6)


def record(doc_id, text, label, prediction, model, with_spans=True, tokens=None):
    labels = ["alt.atheism", "sci.crypt", "</td><script>" + PWN + "</script>", "rec.autos"]
    scores = {l: round(0.1 + 0.2 * k, 3) for k, l in enumerate(labels)}
    toks = []
    if with_spans:
        for i, (w, b, e) in enumerate(spans(text)):
            toks.append({"text": w, "begin": b, "end": e, "relevance": relevance(w, i, model)})
    else:
        for i, w in enumerate(tokens):
            toks.append({"text": w, "relevance": relevance(w, i, model)})
    if toks:
        toks[1]["oov"] = True
    rsum = round(sum(t["relevance"] for t in toks), 6)
    rec = {"schema": 1, "id": doc_id, "model": model, "text": text, "label": label,
           "prediction": prediction, "target": prediction, "method": "lrp", "rule": "epsilon(0.01)",
           "scores": scores, "score": scores[prediction], "tokens": toks,
           "relevance_sum": rsum, "bias_relevance": round(scores[prediction] - rsum, 6)}
    return rec


EMAIL = (
    "From: Mallory <mallory at example dot org>\n"
    "Subject: <script>" + PWN + "</script> free café\n"
    "\n"
    "Hi all,\n"
    "  Check this \"><img src=x onerror=\"" + PWN + "\"> out -- <b>bold</b> claims!\n"
    "</span></section><h1 id=injected>gotcha</h1>\n"
    "The naïve reviewer liked 日本語 films 😀 and Ελληνικά poetry.\n"
)
REVIEW = ("A naïve little film, shot in a café in Ελληνικά-speaking Crete: 日本語 subtitles, "
          "<b>bold</b> acting 😀!")
PRETOKENIZED = ["<script>", PWN, "</script>", "café", "\"><img", "src=x>", "日本語", "bold",
                "😀"]

EVIL_ID = "msg-1\"><img src=x onerror=\"" + PWN + "\">"
EVIL_MODEL = "bow\"><img src=x onerror=\"" + PWN + "\">"
EVIL_LABEL = "</td><script>" + PWN + "</script>"

records = [
    record(EVIL_ID, EMAIL, "sci.crypt", EVIL_LABEL, "cnn"),
    record("review-2", REVIEW, "rec.autos", "rec.autos", "cnn"),
    record(EVIL_ID, EMAIL, "sci.crypt", "sci.crypt", EVIL_MODEL),  # side by side with the first
    record("<b>pretokenized</b>-3", " ".join(PRETOKENIZED), EVIL_LABEL, "alt.atheism", "cnn",
           with_spans=False, tokens=PRETOKENIZED),
]
for r in records:
    print(json.dumps(r, ensure_ascii=False))
