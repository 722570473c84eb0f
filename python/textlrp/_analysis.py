"""textlrp.train and the analyses (docvec, pca, epi, deletion, topwords): the ``textlrp train``,
``docvec``, ``pca``, ``epi``, ``deletion`` and ``topwords`` commands as Python calls over texts,
labels and NumPy arrays instead of files, with the same numbers (the CLI's JSON rounds some of them to
6 decimals; these are not rounded) and the same error messages.

Options are named as the CLI's flags, "_" for "-" (``kernel_sizes=[2, 3]`` is ``--kernel-sizes
2,3``); an option the command does not have raises :class:`textlrp.UsageError` with the CLI's
message ("The following argument was not expected: --foo").
"""

import logging as _logging
import numbers as _numbers
import os as _os
import shutil as _shutil
import tempfile as _tempfile

import numpy as _np

from . import _textlrp

_log = _logging.getLogger("textlrp")


def _errors():
    import textlrp

    return textlrp


def _not_expected(names):
    flags = ["--" + n.replace("_", "-") for n in names]
    if len(flags) == 1:
        return _errors().UsageError("The following argument was not expected: {}".format(flags[0]))
    return _errors().UsageError("The following arguments were not expected: {}".format(" ".join(flags)))


def _check_type(name, value, kinds, what):
    if isinstance(value, bool) and bool not in kinds:
        raise TypeError("{} must be {}, not {!r}".format(name, what, value))
    if not isinstance(value, kinds):
        raise TypeError("{} must be {}, not {}".format(name, what, type(value).__name__))
    return value


_INT_MAX = 2 ** 31 - 1
_SIZE_MAX = 2 ** 63 - 1
_SEED_MAX = 2 ** 64 - 1
# More threads than this are this many (the library starts every thread of its pool up front).
_MAX_THREADS = 1024


def _int(name, value, minimum=None, flag=None, maximum=_INT_MAX):
    """An int option, checked against the range of the C++ field it goes to (int by default)."""
    _check_type(name, value, (_numbers.Integral,), "an int")
    value = int(value)
    flag = flag or "--" + name.replace("_", "-")
    if minimum is not None and value < minimum:
        raise _errors().UsageError("{}: {} is not {} or more".format(flag, value, minimum))
    if value > maximum:
        raise _errors().UsageError("{}: {} is out of range (at most {})".format(flag, value, maximum))
    return value


def _size(name, value, minimum=0, flag=None):
    return _int(name, value, minimum, flag, _SIZE_MAX)


def _seed(name, value):
    return _int(name, value, 0, None, _SEED_MAX)


def _float(name, value):
    _check_type(name, value, (_numbers.Real,), "a number")
    return float(value)


def _str(name, value):
    _check_type(name, value, (str,), "a str")
    return value


def _bool(name, value):
    if not isinstance(value, (bool, _np.bool_)):
        raise TypeError("{} must be True or False, not {!r}".format(name, value))
    return bool(value)


def _str_list(name, value):
    if isinstance(value, str):
        return [value]
    out = list(value)
    for v in out:
        if not isinstance(v, str):
            raise TypeError("{} must be a list of str, found {}".format(name, type(v).__name__))
    return out


# ---- Training --------------------------------------------------------------------------------

# `textlrp train` flags (Python name -> (TrainOptions field, converter)). The CLI's negative flags
# (no_lowercase, no_refit, no_output_bias) are accepted as well as the positive fields.
_TRAIN_FLAGS = {
    "dev_fraction": ("dev_fraction", _float),
    "seed": ("seed", _seed),
    "C": ("C", _float),
    "sublinear_tf": ("sublinear_tf", _bool),
    "lowercase": ("lowercase", _bool),
    "keep_punctuation": ("keep_punctuation", _bool),
    "tokenizer": ("tokenizer", _str),
    "min_count": ("min_count", _size),
    "max_vocab": ("max_vocab", _size),
    "refit": ("refit", _bool),
    "threads": ("threads", lambda n, v: min(_size(n, v), _MAX_THREADS)),
    "sst_phrases": ("sst_phrases", _bool),
    "dim": ("dim", lambda n, v: _size(n, v, 1)),
    "kernel_sizes": ("kernel_sizes", None),
    "filters": ("filters", lambda n, v: _size(n, v, 1)),
    "max_tokens": ("max_tokens", lambda n, v: _size(n, v, 1)),
    "epochs": ("epochs", lambda n, v: _int(n, v, 1)),
    "patience": ("patience", lambda n, v: _int(n, v, 0)),
    "batch": ("batch", lambda n, v: _size(n, v, 1)),
    "lr": ("lr", _float),
    "dropout": ("dropout", _float),
    "finetune_embeddings": ("finetune", _bool),
    "freeze_embeddings": ("freeze", _bool),
    "hidden": ("hidden", lambda n, v: _size(n, v, 1)),
    "optimizer": ("optimizer", _str),
    "embedding_dropout": ("embedding_dropout", _float),
    "clip_norm": ("clip_norm", _float),
    "weight_decay": ("weight_decay", _float),
    "output_bias": ("output_bias", _bool),
    "float64": ("float64", _bool),
}
_NEGATIVE_FLAGS = {"no_lowercase": "lowercase", "no_refit": "refit", "no_output_bias": "output_bias"}
_WORD_OPTIONS = ("min_count", "max_vocab", "lowercase", "keep_punctuation")


def _kernel_sizes(value):
    if isinstance(value, str):  # "2,3,4" as on the command line
        try:
            value = [int(v) for v in value.split(",")]
        except ValueError:
            raise _errors().UsageError("--kernel-sizes: expected integers separated by commas, got {!r}".format(
                value)) from None
    if isinstance(value, _numbers.Integral) and not isinstance(value, bool):
        value = [value]
    sizes = [_size("kernel_sizes", v, 1) for v in value]
    if not sizes:
        raise _errors().UsageError("--kernel-sizes: expected at least one filter width")
    return sizes


def _word_vectors(embeddings):
    """embeddings=(words, array): the words and their (N, D) float32/float64 vectors, checked here
    for shape and type; the library checks the values (finite) and the words (distinct, not empty)."""
    if not isinstance(embeddings, (tuple, list)) or len(embeddings) != 2:
        raise TypeError("embeddings must be a path (the CLI's --embeddings FILE) or a pair (words, array) with an "
                        "(N, D) array, not {}".format(type(embeddings).__name__))
    words, array = embeddings
    if isinstance(words, (str, bytes)):
        raise TypeError("embeddings=(words, array): words must be a list of str, not {}".format(type(words).__name__))
    words = _str_list("embeddings words", words)
    array = _np.asarray(array)
    if array.dtype.kind not in "fiu" or array.dtype.kind == "b":
        raise TypeError("embeddings=(words, array): the array must hold float32 or float64 numbers, not {}".format(
            array.dtype))
    if array.ndim != 2:
        raise _errors().UsageError("embeddings: expected an (N, D) array of N word vectors, got shape {}".format(
            tuple(array.shape)))
    if array.shape[0] != len(words):
        raise _errors().UsageError("embeddings: {} words but {} vector rows".format(len(words), array.shape[0]))
    if array.shape[1] < 1:
        raise _errors().UsageError("embeddings: the dimension must be at least 1, got {}".format(array.shape[1]))
    return words, _np.ascontiguousarray(array, dtype=_np.float32)


def _documents(data, labels_given=True):
    """(texts, labels) or [(text, label), ...] -> texts, tokens, labels. A text is a str (or UTF-8
    bytes) or a list of str tokens (pre-tokenized)."""
    if isinstance(data, tuple) and len(data) == 2 and not isinstance(data[0], str):
        texts, labels = list(data[0]), list(data[1])
        if len(texts) != len(labels):
            raise _errors().UsageError("{} texts but {} labels".format(len(texts), len(labels)))
    else:
        pairs = list(data)
        texts, labels = [], []
        for i, p in enumerate(pairs):
            if not isinstance(p, (tuple, list)) or len(p) != 2:
                raise TypeError("training documents must be (texts, labels) or a list of (text, label) pairs; item {} "
                                "is {}".format(i, type(p).__name__))
            texts.append(p[0])
            labels.append(p[1])
    out_texts, tokens, out_labels = [], [], []
    for i, (t, l) in enumerate(zip(texts, labels)):
        if isinstance(t, (list, tuple)):
            tokens.append(_str_list("tokens of document {}".format(i + 1), t))
            out_texts.append(" ".join(tokens[-1]))
        elif isinstance(t, (str, bytes)):
            tokens.append(None)
            out_texts.append(t)
        else:
            raise TypeError("document {}: a text must be str, bytes or a list of str tokens, not {}".format(
                i + 1, type(t).__name__))
        if isinstance(l, bool) or not isinstance(l, (str, _numbers.Integral)):
            raise TypeError("document {}: a label must be a str (or an int), not {!r}".format(i + 1, l))
        out_labels.append(str(l))
    return out_texts, tokens, out_labels


def train(data, arch="svm", out=None, progress=None, embeddings=None, dev=None, dev_corpus=None, strip=None,
          encoding="utf-8", max_docs=0, labels=None, quiet=False, **options):
    """Trains a classifier as ``textlrp train`` does and returns it loaded (a :class:`textlrp.Model`).

    data: a corpus spec as the CLI's ``--corpus`` ("folder:20news/train", "csv:sms.csv",
    "sst:train.txt", ...), or documents in memory: ``(texts, labels)`` or a list of ``(text, label)``
    pairs (a text: str, or a list of str tokens for a pre-tokenized word model).
    arch: "svm" (TF-IDF bag of words + linear SVM), "cnn" or "bilstm".
    out: the model directory to write (replaced atomically); None: a temporary directory that lives as
    long as the returned model.
    progress: a callable receiving a dict per event: ``{"event": "log", "message": ...}`` (the CLI's
    log lines), ``{"event": "batch", "epoch", "done", "total", "loss", ...}`` and ``{"event":
    "epoch", "epoch", "train_loss", "dev_accuracy", "seconds", ...}`` (CNN/BiLSTM). The log lines
    also go to the ``logging`` logger "textlrp" (INFO) unless quiet=True. An exception raised by
    ``progress`` (or Ctrl-C, KeyboardInterrupt) stops the training at the next event and is raised;
    nothing is written.
    embeddings: initial word vectors of the CNN/BiLSTM: a file (``--embeddings FILE``) or a pair
    ``(words, array)`` with an (N, D) float32/float64 array, row i the vector of words[i].
    dev: dev documents in memory (as ``data``) instead of holding out ``dev_fraction``;
    dev_corpus: the same as a corpus spec (``--dev-corpus``). strip, encoding, max_docs: the CLI's
    ``--strip``, ``--encoding`` and ``--max-docs`` of a corpus spec. labels: ``--labels``, names of
    integer labels 0..N-1 (a list, or "a,b,c").
    options: the other flags of ``textlrp train``: dev_fraction, seed, C, sublinear_tf, tokenizer,
    lowercase (or no_lowercase), keep_punctuation, min_count, max_vocab, refit (or no_refit),
    threads, sst_phrases, dim, kernel_sizes, filters, max_tokens, epochs, patience, batch, lr,
    dropout, finetune_embeddings, freeze_embeddings, hidden, optimizer, embedding_dropout, clip_norm,
    weight_decay, output_bias (or no_output_bias), float64.

    The GIL is released while training. Raises UsageError for a bad option (the CLI's message, naming
    the flag), FormatError/IoError for a corpus that cannot be read, with the CLI's messages.
    """
    textlrp = _errors()
    if not getattr(_textlrp, "has_training", False):
        raise textlrp.Error("this build of textlrp has no training (TEXTLRP_WITH_TRAINING=OFF)")
    unknown = [k for k in options if k not in _TRAIN_FLAGS and k not in _NEGATIVE_FLAGS]
    if unknown:
        raise _not_expected(unknown)
    o = _textlrp.TrainOptions()
    o.arch = _str("arch", arch)
    word_given = False
    for key, value in options.items():
        if key in _NEGATIVE_FLAGS:
            setattr(o, _NEGATIVE_FLAGS[key], not _bool(key, value))
            word_given = word_given or _NEGATIVE_FLAGS[key] in _WORD_OPTIONS
            continue
        field, convert = _TRAIN_FLAGS[key]
        setattr(o, field, _kernel_sizes(value) if key == "kernel_sizes" else convert(key, value))
        word_given = word_given or key in _WORD_OPTIONS
    o.word_options_given = word_given
    if labels is not None:
        o.label_names = (_textlrp.parse_label_names(labels) if isinstance(labels, str)
                         else [str(l) for l in labels])
    vector_words = vectors = None
    vectors_name = "<memory>"
    if embeddings is not None:
        if isinstance(embeddings, (str, bytes, _os.PathLike)):
            o.embeddings = _os.fsdecode(embeddings)
        else:
            vector_words, vectors = _word_vectors(embeddings)
            vectors_name = "<array {} x {}>".format(vectors.shape[0], vectors.shape[1])
    strip = [] if strip is None else _str_list("strip", strip)
    _str("encoding", encoding)
    max_docs = _size("max_docs", max_docs)

    corpus = ""
    texts = tokens = doc_labels = []
    dev_texts = dev_tokens = dev_labels = []
    if isinstance(data, (str, _os.PathLike)):
        corpus = _os.fspath(data)
        if dev is not None:
            raise textlrp.UsageError("dev= (documents in memory) goes with documents in memory; with a corpus spec "
                                     "give dev_corpus= (--dev-corpus)")
        dev_corpus = "" if dev_corpus is None else _str("dev_corpus", _os.fspath(dev_corpus))
    else:
        if data is None:
            raise TypeError("train() needs a corpus spec (str) or documents: (texts, labels) or (text, label) pairs")
        if dev_corpus is not None or strip or max_docs:
            raise textlrp.UsageError("dev_corpus=, strip= and max_docs= apply to a corpus spec, not to documents in "
                                     "memory")
        if encoding != "utf-8":
            raise textlrp.UsageError("encoding= applies to a corpus spec, not to documents in memory")
        texts, tokens, doc_labels = _documents(data)
        if dev is not None:
            dev_texts, dev_tokens, dev_labels = _documents(dev)
        dev_corpus = ""
    if progress is not None and not callable(progress):
        raise TypeError("progress must be a callable or None, not {}".format(type(progress).__name__))

    def on_log(message):
        if not quiet:
            _log.info("%s", message)
        if progress is not None:
            progress({"event": "log", "message": message})

    tmp = None
    if out is None:
        tmp = _tempfile.mkdtemp(prefix="textlrp-model-")
        dir = _os.path.join(tmp, "model")
    else:
        dir = _os.fsdecode(out) if isinstance(out, (bytes, _os.PathLike)) else _str("out", out)
    try:
        summary = _textlrp.train(o, dir, corpus, dev_corpus, strip, encoding, max_docs, texts, tokens, doc_labels,
                                 dev_texts, dev_tokens, dev_labels, vector_words, vectors, vectors_name, on_log,
                                 progress, progress)
        model = textlrp.load(dir, verify=False)
    except BaseException:
        if tmp is not None:
            _shutil.rmtree(tmp, ignore_errors=True)
        raise
    if tmp is not None:
        model._tmp = _TemporaryModelDir(tmp)
    model.training = summary
    return model


class _TemporaryModelDir:
    """The temporary directory of a model trained without out=, removed with the model."""

    def __init__(self, path):
        self.path = path

    def __del__(self):
        _shutil.rmtree(self.path, ignore_errors=True)


# ---- Analyses --------------------------------------------------------------------------------


def _model(model):
    textlrp = _errors()
    if isinstance(model, textlrp.Model):
        return model._m
    if isinstance(model, (str, _os.PathLike)):
        return textlrp.load(model)._m
    raise TypeError("model must be a textlrp.Model (or a model directory), not {}".format(type(model).__name__))


def _analysis_documents(texts, labels, ids, need_labels=False):
    if texts is None or isinstance(texts, (str, bytes)):
        raise TypeError("expected a list of texts, not {}".format(type(texts).__name__))
    texts = list(texts)
    out_texts, tokens = [], []
    for i, t in enumerate(texts):
        if isinstance(t, (list, tuple)):
            tokens.append(_str_list("tokens of document {}".format(i + 1), t))
            out_texts.append("")
        elif isinstance(t, (str, bytes, bytearray)):
            tokens.append(None)
            out_texts.append(bytes(t) if isinstance(t, bytearray) else t)
        else:
            raise TypeError("document {}: a text must be str, bytes or a list of str tokens, not {}".format(
                i + 1, type(t).__name__))
    if labels is None:
        if need_labels:
            raise TypeError("labels= is needed: the true label of every document")
        labels = [None] * len(texts)
    else:
        labels = list(labels)
        if len(labels) != len(texts):
            raise _errors().UsageError("{} texts but {} labels".format(len(texts), len(labels)))
        labels = [None if l is None else (l if isinstance(l, str) else str(l)) for l in labels]
    if ids is None:
        ids = []
    else:
        ids = _str_list("ids", ids)
        if len(ids) != len(texts):
            raise _errors().UsageError("{} texts but {} ids".format(len(texts), len(ids)))
    return out_texts, tokens, labels, ids


def _rule(rule):
    return "" if rule is None else _str("rule", rule)


def _threads(threads):
    return min(_size("threads", threads, 0, "threads"), _MAX_THREADS)


def docvec(model, texts, weighting="lrp", labels=None, ids=None, embeddings=None, rule=None, steps=32, threads=0,
           method="lrp", full=False):
    """Document vectors d = sum_t w_t * e(token_t) as ``textlrp docvec`` computes them (Arras et al. 2017).

    texts: a list of str (or token lists). weighting: "lrp", "sa", "gi", "ig", "occlusion" (the
    relevance for the predicted class), "relevance" (the method= one), "uniform" or "tfidf"; or a list
    of them. embeddings: the word vectors, a file (``--embeddings FILE``) or a pair ``(words,
    array)`` with an (N, D) float32/float64 array, row i the vector of words[i] (read by the library
    in place when it is C-contiguous float32, else converted to float32 once; the same vectors, bit
    for bit, as a file holding these rows); None = the model's embedding matrix (CNN, BiLSTM). rule,
    steps: ``--rule``, ``--steps``. threads: 0 = every core.
    Returns a float64 NumPy array (n_docs, dim), or for a list of weightings a dict weighting ->
    array. full=True returns dicts with "vectors", "ids", "labels", "predictions" instead.
    """
    single = isinstance(weighting, str)
    weightings = _str_list("weighting", weighting)
    if not weightings:
        raise _errors().UsageError("--weighting: expected at least one weighting")
    method = _str("method", method)
    weightings = [method if w == "relevance" else w for w in weightings]
    vector_words = vectors = None
    vectors_name = "<memory>"
    if embeddings is None:
        embeddings = ""
    elif isinstance(embeddings, (str, bytes, _os.PathLike)):
        embeddings = _os.fsdecode(embeddings)
    else:
        vector_words, vectors = _word_vectors(embeddings)
        vectors_name = "<array {} x {}>".format(vectors.shape[0], vectors.shape[1])
        embeddings = ""
    texts, tokens, labels, ids = _analysis_documents(texts, labels, ids)
    steps = _int("steps", steps, 1)
    result = _textlrp.document_vectors(_model(model), texts, tokens, labels, ids, weightings, embeddings,
                                       vector_words, vectors, vectors_name, _rule(rule), steps, _threads(threads))
    if not full:
        result = {r["weighting"]: r["vectors"] for r in result}
    else:
        result = {r["weighting"]: r for r in result}
    if single:
        return next(iter(result.values()))
    return result


def _matrix(X, what):
    a = _np.asarray(X)
    if a.dtype.kind not in "fiu" or a.dtype == _np.bool_:
        raise TypeError("{}: expected an array of numbers, got dtype {}".format(what, a.dtype))
    if a.ndim != 2:
        raise _errors().UsageError("{}: expected a 2-D array (documents x dimension), got shape {}".format(
            what, tuple(a.shape)))
    if not _np.all(_np.isfinite(a)):
        i, j = _np.argwhere(~_np.isfinite(a))[0]
        raise _errors().UsageError("{}: row {}, column {}: expected a finite number, found {}".format(
            what, i + 1, j + 1, a[i, j]))
    return _np.ascontiguousarray(a, dtype=_np.float64)


def pca(X, k=2, normalize=True):
    """The first k principal components of the rows of X, as ``textlrp pca`` computes them.

    X: an (n, d) array (e.g. from :func:`docvec`); rows are scaled to unit length first unless
    normalize=False (``--no-normalize``). Returns a dict: "projection" (n, k), "components" (k, d,
    unit length), "mean" (d,), "variance" (k,), "explained_variance_ratio" (k,).
    """
    return _textlrp.pca(_matrix(X, "pca"), _size("k", k, 1, "--components"), _bool("normalize", normalize))


def epi(X, labels, k=20, distance="cosine", folds=10, seed=1, normalize=True):
    """The explanatory power index of document vectors, as ``textlrp epi`` computes it: the best mean
    k-NN accuracy (k = 1..k, ``--k-max``) of a stratified ``folds``-fold cross-validation against the
    labels (rows without a label, None, are left out). distance: "cosine" or "euclidean".

    Returns a dict: "epi", "best_k", "accuracy" (array, one per k), "documents" (labelled rows).
    """
    X = _matrix(X, "epi")
    labels = [None if l is None else (l if isinstance(l, str) else str(l)) for l in labels]
    if len(labels) != X.shape[0]:
        raise _errors().UsageError("epi: {} rows but {} labels".format(X.shape[0], len(labels)))
    return _textlrp.explanatory_power(X, labels, _str("distance", distance), _int("folds", folds, 2),
                                      _size("k", k, 1, "--k-max"), _seed("seed", seed), _bool("normalize", normalize))


def deletion(model, texts, labels, methods=("lrp", "sa", "gi", "ig", "occlusion", "random"), max_delete=20,
             random_seeds=5, seed=0, rule=None, steps=32, threads=0, ids=None):
    """Word-deletion curves and AOPC per explanation method, as ``textlrp deletion`` computes them.

    Every document needs its true label (a label of the model). Returns a dict with the numbers of
    the CLI's JSON (unrounded): {"documents", "correct", "deletion" (what deleting a token means for
    this model), "methods": {method: {"accuracy": [K+1], "aopc", "misclassified": {"accuracy",
    "aopc"}}}, "skipped": {method: why}}.
    """
    methods = _str_list("methods", methods)
    if len(methods) == 1 and "," in methods[0]:
        methods = methods[0].split(",")
    texts, tokens, labels, ids = _analysis_documents(texts, labels, ids, need_labels=True)
    return _textlrp.deletion_curves(_model(model), texts, tokens, labels, ids, methods,
                                    _int("max_delete", max_delete, 0), _int("random_seeds", random_seeds, 1),
                                    _seed("seed", seed), _rule(rule), _int("steps", steps, 1), _threads(threads))


def topwords(model, texts, labels=None, method="lrp", rule=None, steps=32, per_class=20, rank="sum",
             min_documents=1, negative=False, threads=0):
    """The most relevant words per class, as ``textlrp topwords`` finds them: each document explained
    for its true label (labels=; its predicted class without one), relevance summed per word.

    texts may also be a list of Explanations (then model and labels are not used: each explanation's
    target is its class). Returns a dict: {"documents": n, "classes": {label: {"documents", "top":
    [{"word", "sum", "mean", "occurrences", "documents"}, ...], "bottom": [...] with negative=True}}}.
    """
    textlrp = _errors()
    _str("method", method)
    steps = _int("steps", steps, 1)
    texts = list(texts)
    if texts and all(isinstance(t, textlrp.Explanation) for t in texts):
        explanations = texts
    else:
        m = model if isinstance(model, textlrp.Model) else textlrp.load(model)
        texts_, tokens, labels_, _ = _analysis_documents(texts, labels, None)
        docs = [tk if tk is not None else tx for tx, tk in zip(texts_, tokens)]
        options = {"steps": steps} if method == "ig" else {}

        def one(i):
            target = "true" if labels_[i] is not None else "predicted"
            return m.explain(docs[i], method=method, rule=rule, target=target, label=labels_[i], id=str(i + 1),
                             **options)

        n = _threads(threads) or (_os.cpu_count() or 1)
        if n == 1 or len(docs) < 2:
            explanations = [one(i) for i in range(len(docs))]
        else:
            from concurrent.futures import ThreadPoolExecutor  # explain() releases the GIL

            with ThreadPoolExecutor(max_workers=min(n, len(docs))) as pool:
                explanations = list(pool.map(one, range(len(docs))))
    classes = _textlrp.top_words(explanations, _size("per_class", per_class), _str("rank", rank),
                                 _size("min_documents", min_documents), _bool("negative", negative))
    out = {"documents": len(explanations), "classes": {}}
    for c in classes:
        label = c.pop("label")
        out["classes"][label] = c
    return out
