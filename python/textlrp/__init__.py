"""textlrp: explain text classifiers with Layer-wise Relevance Propagation, from Python.

A thin layer over textlrp's C++ API (``textlrp/textlrp.h``): the same model loading, prediction,
explanation, JSONL line and HTML report as the ``textlrp`` command-line tool, with the same numbers
and the same error messages::

    import textlrp
    m = textlrp.load("models/spam-svm")             # a directory written by `textlrp train|import`
    e = m.explain("WIN a free prize now")             # LRP for the predicted label
    e.tokens, e.relevance, e.spans, e.prediction      # list of str, float64 array, N x 2 byte offsets
    e.to_dict()                                       # the schema-1 JSONL object of `textlrp explain`
    all = m.explain_many(texts, threads=4)            # the library's thread pool, GIL released
    textlrp.report(all, "report.html")                # the `textlrp report` page

Training and the analyses, as the CLI's train, docvec, pca, epi, deletion and topwords::

    m = textlrp.train((texts, labels), arch="cnn", epochs=5, embeddings=(words, vectors))
    X = textlrp.docvec(m, texts, weighting="lrp")     # (n_docs, dim) float64 array
    textlrp.pca(X, k=2)["projection"], textlrp.epi(X, labels)["epi"]
    textlrp.deletion(m, texts, labels, methods=["lrp", "random"], max_delete=5)["methods"]["lrp"]["aopc"]

Errors are :class:`textlrp.Error` subclasses carrying the CLI's message: :class:`UsageError` (a bad
argument: exit code 2 of the CLI; also a ``ValueError``), :class:`DataError` (exit code 1) with
:class:`FormatError` (bad file or input content; also a ``ValueError``) and :class:`IoError` (a file
that cannot be read or written; also an ``OSError``). Wrong Python types raise ``TypeError``.
"""

import json as _json
import numbers as _numbers
import os as _os

from . import _textlrp

__version__ = _textlrp.__version__

__all__ = ["load", "report", "render_report", "render_html", "write_jsonl", "from_json", "Model", "Explanation",
           "Prediction", "Error", "DataError", "FormatError", "IoError", "UsageError", "__version__", "from_torch",
           "document_id", "train", "docvec", "pca", "epi", "deletion", "topwords"]


class Error(Exception):
    """Base class of every textlrp error (the C++ library's textlrp::Error)."""


class DataError(Error):
    """A data or runtime error: the CLI exits 1 with "textlrp: error: <message>"."""


class FormatError(DataError, ValueError):
    """File or input content is wrong; the message names the file, line or byte, what was expected and found."""


class IoError(DataError, OSError):
    """A file or stream could not be opened, read or written; the message names the path and the reason."""


class UsageError(Error, ValueError):
    """A bad argument (method, rule, target, option): the CLI exits 2 with "textlrp: usage error: <message>"."""


_textlrp._set_error_classes(IoError, FormatError, UsageError, DataError)

Explanation = _textlrp.Explanation
Prediction = _textlrp.Prediction


def _explanation_to_dict(self):
    """The schema-1 JSONL object, exactly the line ``textlrp explain`` writes for this document."""
    return _json.loads(self.to_json())


def _explanation_repr_html(self):
    """The document as a notebook shows it: its card from the HTML report, every token highlighted."""
    return self._render_html_fragment()


def _explanation_repr(self):
    return "<textlrp.Explanation id={!r} model={!r} method={!r} target={!r} score={:.6g} tokens={}>".format(
        self.id, self.model, self.method, self.target, self.score, len(self.tokens))



def _explanation_reduce(self):
    # Pickled as its JSON line (Dask, multiprocessing): the values as `textlrp explain` writes them.
    return (from_json, (self.to_json(),))


Explanation.__reduce__ = _explanation_reduce
Explanation.to_dict = _explanation_to_dict
Explanation._repr_html_ = _explanation_repr_html
Explanation.__repr__ = _explanation_repr


def _path(value, what):
    if isinstance(value, (str, bytes, _os.PathLike)):
        return _os.fsdecode(value)
    raise TypeError("{} must be a path (str or os.PathLike), not {}".format(what, type(value).__name__))


def _text(value):
    """A document for the C++ API: str, or bytes (passed as they are: invalid UTF-8 is the library's error)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError("a text must be str or bytes, not {}".format(type(value).__name__))


def _tokens(value):
    tokens = list(value)
    for t in tokens:
        if not isinstance(t, str):
            raise TypeError("pre-tokenized input must be a list of str, found {}".format(type(t).__name__))
    return tokens


def _is_tokens(value):
    return isinstance(value, (list, tuple))


def _option_name(key):
    return key.replace("_", "-")


def _option_value(key, value):
    if isinstance(value, bool) or value is None:
        raise TypeError("option {}: expected a str or a number, got {!r}".format(key, value))
    if isinstance(value, str):
        return value
    if isinstance(value, _numbers.Integral):
        return str(int(value))
    if isinstance(value, _numbers.Real):
        return repr(float(value))
    raise TypeError("option {}: expected a str or a number, got {}".format(key, type(value).__name__))


class Model:
    """A trained model directory opened for prediction and explanation (``textlrp.load``).

    Immutable and thread-safe: any number of threads may call it at once.
    """

    def __init__(self, path, verify=True):
        self._verify = bool(verify)
        self._m = _textlrp.Model.open(_path(path, "the model directory"), self._verify)

    @property
    def labels(self):
        """The label names, in the model's order (the order of every scores dict)."""
        return list(self._m.labels)

    @property
    def architecture(self):
        """"bow_svm", "cnn", "bilstm", "bert", ..."""
        return self._m.architecture

    @property
    def name(self):
        """The display name: the model directory's name."""
        return self._m.name

    @property
    def path(self):
        """The model directory."""
        return str(self._m.dir)

    @property
    def subword(self):
        """True when tokens are subword pieces (explanations then carry .words)."""
        return self._m.subword

    def __reduce__(self):
        # Pickled as its directory (Dask, Spark, multiprocessing): each process opens it itself.
        if getattr(self, "_in_memory", False):
            raise TypeError("a model built in memory (textlrp.from_torch) has no directory and cannot be pickled; "
                            "build it in each process, or save it with `textlrp import` and load the directory")
        return (Model, (self.path, self._verify))

    def __repr__(self):
        return "<textlrp.Model {!r} architecture={!r} labels={}>".format(self.name, self.architecture,
                                                                        len(self._m.labels))

    def predict(self, texts, threads=0):
        """Scores of a text (str) as a Prediction (.label, .index, .scores), or a list of them for a list of texts.

        A list runs on ``threads`` threads of the library's pool (0: every core)."""
        if isinstance(texts, (str, bytes, bytearray, memoryview)):
            return self._m.predict(_text(texts))
        if texts is None:
            raise TypeError("predict() needs a text or a list of texts, not None")
        return self._m.predict_many([_text(t) for t in texts], _threads(threads))

    def _request(self, method, rule, target, options):
        if not isinstance(method, str):
            raise TypeError("method must be a str, not {}".format(type(method).__name__))
        if rule is None:
            rule = ""
        elif not isinstance(rule, str):
            raise TypeError("rule must be a str or None, not {}".format(type(rule).__name__))
        target = self._target(target)
        opts = {_option_name(k): _option_value(k, v) for k, v in options.items()}
        return method, rule, target, opts

    def _target(self, target):
        if target is None:
            return "predicted"
        if isinstance(target, str):
            return target
        if isinstance(target, _numbers.Integral) and not isinstance(target, bool):
            labels = self._m.labels
            if not 0 <= target < len(labels):
                raise UsageError("target {} is not a label index of this model (0..{})".format(target, len(labels) - 1))
            return labels[target]
        raise TypeError("target must be a label name, a label index, 'predicted', 'true' or None, not {}".format(
            type(target).__name__))

    def explain(self, text, method="lrp", rule=None, target=None, label=None, id=None, **options):
        """Explains one document: a str (or UTF-8 bytes), or a list of str tokens (pre-tokenized).

        method: lrp, sa, gi, ig, occlusion, random. rule: the CLI's --rule (RULE or ROLE=RULE,...;
        attnlrp or cp-lrp for transformers); None = the model's default. target: None or "predicted",
        "true" (needs label=), a label name or a label index. label: the document's true label.
        id: the document id (default "1-<hash>", as the CLI names line 1 of its input).
        options: the CLI's explain flags by name, "_" for "-": lstm_rule, bias_factor, precision,
        steps, seed. Returns an Explanation.
        """
        method, rule, target, opts = self._request(method, rule, target, options)
        if label is not None and not isinstance(label, str):
            raise TypeError("label must be a str or None, not {}".format(type(label).__name__))
        if id is None:
            id = ""
        elif not isinstance(id, str):
            raise TypeError("id must be a str or None, not {}".format(type(id).__name__))
        if _is_tokens(text):
            return self._m.explain_tokens(_tokens(text), method, rule, target, opts, label, id)
        if text is None:
            raise TypeError("explain() needs a text (str or bytes) or a list of tokens, not None")
        return self._m.explain(_text(text), method, rule, target, opts, label, id)

    def explain_many(self, texts, threads=0, method="lrp", rule=None, target=None, **options):
        """explain() of every document on ``threads`` threads of the library's pool (0: every core),
        with the GIL released; a list of Explanations in input order, with the same values as
        explain() one by one. Ids are "<i+1>-<hash>" (i = position), as the CLI's line numbers.
        Documents are all texts (str/bytes) or all token lists."""
        if texts is None or isinstance(texts, (str, bytes)):
            raise TypeError("explain_many() needs a list of texts, not {}".format(type(texts).__name__))
        method, rule, target, opts = self._request(method, rule, target, options)
        docs = list(texts)
        if docs and all(_is_tokens(d) for d in docs):
            return self._m.explain_many_tokens([_tokens(d) for d in docs], _threads(threads), method, rule, target,
                                               opts)
        return self._m.explain_many([_text(d) for d in docs], _threads(threads), method, rule, target, opts)

    def explain_corpus(self, input=None, output="-", corpus=None, input_format="auto", shard=None, encoding="utf-8",
                       strip=None, threads=0, method="lrp", rule=None, target=None, **options):
        """Explains every document of a corpus file into the JSONL file ``output`` (written atomically;
        "-" = stdout), byte for byte what ``textlrp explain --model DIR --input INPUT [--shard K/N] -o
        OUTPUT`` writes with the same options: the CLI's readers (input_format auto, text, tsv, jsonl,
        csv; or corpus= a spec such as "folder:20news-bydate/test"), ids, order and numbers, the
        model's preprocessing, on ``threads`` threads with the GIL released. shard: "K/N" (documents
        K, K+N, ...). Returns {"documents": n, "warnings": [...]} (what the CLI would log).
        Corpus-scale runs on Dask or Spark: :mod:`textlrp.scale`."""
        method, rule, target, opts = self._request(method, rule, target, options)
        if (input is None) == (corpus is None):
            raise UsageError("explain_corpus() needs exactly one of input= (a file) and corpus= (a corpus spec)")
        strip = [] if strip is None else ([strip] if isinstance(strip, str) else list(strip))
        for name, value in (("input_format", input_format), ("shard", shard or ""), ("encoding", encoding)):
            if not isinstance(value, str):
                raise TypeError("{} must be a str, not {}".format(name, type(value).__name__))
        n, warnings = self._m.explain_corpus("" if input is None else _path(input, "input"),
                                             "" if corpus is None else _path(corpus, "corpus"), input_format,
                                             shard or "", encoding, [str(s) for s in strip],
                                             _path(output, "output"), _threads(threads), method, rule, target, opts)
        return {"documents": n, "warnings": list(warnings)}

    @classmethod
    def _wrap(cls, m):
        """A Model around a _textlrp.Model built elsewhere (textlrp.from_torch)."""
        self = cls.__new__(cls)
        self._m = m
        self._verify = False
        self._in_memory = True
        return self


def _threads(threads):
    if isinstance(threads, bool) or not isinstance(threads, _numbers.Integral):
        raise TypeError("threads must be an int, not {}".format(type(threads).__name__))
    threads = int(threads)
    if threads < 0:
        raise UsageError("threads must be 0 (every core) or more, got {}".format(threads))
    return min(threads, 1 << 16)


def load(path, verify=True):
    """Opens a model directory (written by ``textlrp train`` or ``textlrp import``): a :class:`Model`.

    Raises IoError / FormatError naming the file and the reason. verify=False skips the stored self-tests."""
    return Model(path, verify)


def _explanations(explanations):
    if isinstance(explanations, Explanation):
        return [explanations]
    out = list(explanations)
    for e in out:
        if not isinstance(e, Explanation):
            raise TypeError("expected textlrp.Explanation objects, found {}".format(type(e).__name__))
    return out


def from_json(line, where="explanation"):
    """An Explanation from one schema-1 JSON line (str or bytes, as ``to_json()`` and ``textlrp explain``
    write it) or from its dict (``to_dict()``). Relevances are the line's (float precision). FormatError
    names ``where`` and what is wrong."""
    if isinstance(line, dict):
        line = _json.dumps(line, ensure_ascii=False)
    elif isinstance(line, (bytes, bytearray)):
        line = bytes(line)
    elif not isinstance(line, str):
        raise TypeError("from_json() needs a JSON line (str or bytes) or a dict, not {}".format(type(line).__name__))
    if not isinstance(where, str):
        raise TypeError("where must be a str")
    return _textlrp.from_json(line.rstrip("\n") if isinstance(line, str) else line.rstrip(b"\n"), where)


def write_jsonl(explanations, path, threads=0):
    """Writes the explanations as ``textlrp explain -o FILE`` does: one schema-1 JSON line each, in
    order, formatted on ``threads`` threads (0: every core) and written atomically."""
    _textlrp.write_jsonl(_explanations(explanations), _path(path, "the JSONL path"), _threads(threads))
    return path


def render_report(explanations, title="textlrp report", max_documents=0, color_scale="view"):
    """The self-contained HTML page of ``textlrp report`` for these explanations, as a str."""
    return _textlrp.render_report(_explanations(explanations), title, max_documents, color_scale)


def report(explanations, path, title="textlrp report", max_documents=0, color_scale="view"):
    """Writes the HTML report of ``textlrp report`` for these explanations to ``path`` (atomically).

    Explanations with the same id and text are one document, shown side by side. color_scale:
    "view" (each explanation its own scale) or "shared"."""
    _textlrp.write_report(_explanations(explanations), _path(path, "the report path"), title, max_documents,
                          color_scale)
    return path


def render_html(explanations, max_documents=0, color_scale="view"):
    """The explanations as an HTML fragment (one <div class="textlrp">, CSS scoped to it) for notebooks."""
    return _textlrp.render_html_fragment(_explanations(explanations), max_documents, color_scale)


def document_id(line, text):
    """The id ``textlrp explain`` gives a document without one: "<line>-<FNV-1a of the text, 8 hex>"."""
    if isinstance(line, bool) or not isinstance(line, _numbers.Integral) or line < 0:
        raise TypeError("line must be a non-negative int, not {!r}".format(line))
    return _textlrp.document_id(int(line), _text(text))


from ._from_torch import from_torch  # noqa: E402  (needs the classes above)
from ._analysis import train, docvec, pca, epi, deletion, topwords  # noqa: E402,F401
from . import scale  # noqa: E402,F401  (textlrp.scale: corpus-scale runs on Dask, Spark)
