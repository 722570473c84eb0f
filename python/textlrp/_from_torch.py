"""textlrp.from_torch: a model built from a live PyTorch module (or its state dict) without files.

The layouts are the ones ``textlrp import`` reads (``textlrp import pytorch --help``,
``textlrp import huggingface --help``):

- ``arch="cnn"``: ``embedding.weight [V x E]``, ``conv.weight [F x E x K]`` and ``conv.bias [F]``
  (or ``convs.{i}.weight/bias`` for several widths), ``fc.weight [C x n_widths*F]``, ``fc.bias [C]``;
- ``arch="bilstm"``: ``embedding.weight [V x E]``, an ``nn.LSTM(bidirectional=True)`` as ``lstm.``
  (or without prefix: ``weight_ih_l0 [4H x E]``, ``weight_hh_l0 [4H x H]``, ``bias_ih_l0``,
  ``bias_hh_l0 [4H]`` and the same with ``_reverse``; gate order i, f, g, o), ``fc.weight [C x 2H]``
  (forward direction's columns first), optional ``fc.bias [C]``;
- ``arch="bert"``: a Hugging Face ``BertForSequenceClassification`` or
  ``DistilBertForSequenceClassification`` state dict with its config (``config=``: the config.json
  dict, or the module's ``.config``) and its WordPiece ``vocab``.

The tensors go to the C++ library as float32 (what the importer reads from safetensors), where the
same checks as for a file apply: shapes, finiteness, vocabulary size, at least two classes. Integer
and boolean buffers of a state dict (e.g. a BERT's ``position_ids``) are not weights and are left out.
"""

import json as _json
import numbers as _numbers
import os as _os

import numpy as _np

from . import _textlrp

_WORD_HYPER = ("lowercase", "keep_punctuation", "max_tokens")


def _state_dict(module_or_state_dict):
    sd = module_or_state_dict
    if hasattr(sd, "state_dict") and callable(sd.state_dict):
        sd = sd.state_dict()
    if not hasattr(sd, "items"):
        raise TypeError("from_torch needs a torch.nn.Module or a state dict (a mapping of names to tensors), not {}"
                        .format(type(module_or_state_dict).__name__))
    tensors = {}
    for name, value in sd.items():
        if not isinstance(name, str):
            raise TypeError("state dict keys must be str, found {}".format(type(name).__name__))
        if hasattr(value, "detach"):  # a torch.Tensor (torch itself is not needed for anything else)
            value = value.detach()
            if getattr(value, "is_floating_point", lambda: True)() is False:
                continue  # an integer or boolean buffer, not a weight
            value = value.cpu().float().contiguous().numpy()
        else:
            value = _np.asarray(value)
            if value.dtype.kind not in "fc":
                if value.dtype.kind in "iub":
                    continue
                raise TypeError("state dict entry {!r}: expected a float tensor or array, got dtype {}".format(
                    name, value.dtype))
            if value.dtype.kind == "c":
                raise TypeError("state dict entry {!r}: complex values are not weights".format(name))
        tensors[name] = _np.ascontiguousarray(value, dtype=_np.float32)
    return tensors


def _vocabulary(vocab):
    """vocab.txt lines: a list of str, or a path to read (the rules of vocab.txt: UTF-8, a leading
    byte-order mark skipped, '\\r' before '\\n' dropped)."""
    if vocab is None:
        raise TypeError("from_torch needs vocab=: a list of tokens (line k = token id k) or the path of a vocab.txt")
    if isinstance(vocab, (str, bytes, _os.PathLike)):
        path = _os.fsdecode(vocab)
        with open(path, "rb") as f:
            data = f.read()
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        out = []
        for i, line in enumerate(lines):
            if line.endswith(b"\r"):
                line = line[:-1]
            try:
                out.append(line.decode("utf-8"))
            except UnicodeDecodeError as e:
                import textlrp

                raise textlrp.FormatError("{}:{}: byte {}: invalid UTF-8".format(path, i + 1, e.start + 1)) from None
        return out
    tokens = list(vocab)
    for t in tokens:
        if not isinstance(t, str):
            raise TypeError("vocab must hold str tokens, found {}".format(type(t).__name__))
    return tokens


def _hf_config(config, module_or_state_dict):
    if config is None:
        config = getattr(module_or_state_dict, "config", None)
        if config is None:
            raise TypeError("arch='bert' needs config=: the Hugging Face config.json as a dict (or a module with .config)")
    if hasattr(config, "to_dict") and callable(config.to_dict):
        config = config.to_dict()
    if isinstance(config, (str, bytes, _os.PathLike)):
        with open(_os.fsdecode(config), "rb") as f:
            config = _json.loads(f.read().decode("utf-8"))
    if not isinstance(config, dict):
        raise TypeError("config must be a dict (the Hugging Face config.json), not {}".format(type(config).__name__))
    return config


def _embedding_matrix(embeddings, vocab):
    """embeddings=: an (V, E) array (row k = token id k of vocab) or a pair (words, array) whose words
    are the vocabulary. Returns (float32 array, vocab)."""
    import textlrp

    if isinstance(embeddings, (tuple, list)) and len(embeddings) == 2 and not hasattr(embeddings[0], "shape"):
        words, array = embeddings
        if isinstance(words, (str, bytes)):
            raise TypeError("embeddings=(words, array): words must be a list of str, not {}".format(
                type(words).__name__))
        words = _vocabulary(list(words))
        if vocab is not None and _vocabulary(vocab) != words:
            raise textlrp.UsageError("embeddings=(words, array): the words are not the vocab= tokens (give one of them, "
                                     "or the same list)")
        vocab = words
    else:
        array = embeddings
    if hasattr(array, "detach"):
        array = array.detach().cpu().double().numpy()
    array = _np.asarray(array)
    if array.dtype.kind not in "fiu" or array.dtype == _np.bool_:
        raise TypeError("embeddings: expected a float32 or float64 array, not dtype {}".format(array.dtype))
    if array.ndim != 2:
        raise textlrp.UsageError("embeddings: expected a [V x E] array (one row per vocabulary token), got shape {}"
                                 .format(tuple(array.shape)))
    return _np.ascontiguousarray(array, dtype=_np.float32), vocab


def from_torch(module_or_state_dict, arch, vocab=None, labels=None, name="from_torch", config=None,
               tokenizer_config=None, embeddings=None, **hyper):
    """A :class:`textlrp.Model` from a PyTorch module or state dict, without writing files.

    arch: "cnn", "bilstm" or "bert" (layouts in this module's docstring, as ``textlrp import``).
    vocab: the vocabulary, line k = token id k (a list of str, or the path of a vocab.txt).
    embeddings: the embedding matrix when the module has none (cnn, bilstm; where ``textlrp import
    arras-bilstm`` takes ``--embeddings FILE.npy``): a [V x E] float32/float64 array (NumPy or torch;
    row k = token k of vocab), or a pair ``(words, array)`` whose words are the vocabulary (then
    vocab= may be left out). It becomes ``embedding.weight``; a module that has one too is a UsageError.
    labels: the class names in output order (default "0".."C-1"; for BERT the config's id2label).
    name: the display name (the "model" field of explanations).
    cnn and bilstm: lowercase=True, keep_punctuation=False, max_tokens=5000 (``textlrp import
    pytorch``'s --no-lowercase, --keep-punctuation, --max-tokens).
    bert: config= the Hugging Face config.json (dict, path, or a transformers config; default the
    module's .config), tokenizer_config= its tokenizer_config.json (dict or path; do_lower_case,
    model_max_length).
    Raises the errors of ``textlrp import``: FormatError naming the tensor and the shape it has and
    should have, UsageError for a bad argument.
    """
    import textlrp

    if not isinstance(arch, str):
        raise TypeError("arch must be a str, not {}".format(type(arch).__name__))
    if not isinstance(name, str):
        raise TypeError("name must be a str, not {}".format(type(name).__name__))
    cfg = {"architecture": arch, "name": name}
    if arch == "bert":
        if hyper:
            raise textlrp.UsageError("arch='bert' takes no {} (the tokenizer's settings come from tokenizer_config)"
                                     .format(", ".join(sorted(hyper))))
        hf = dict(_hf_config(config, module_or_state_dict))
        if labels is not None:
            labels = list(labels)
            hf["id2label"] = {str(i): str(l) for i, l in enumerate(labels)}
            hf["label2id"] = {str(l): i for i, l in enumerate(labels)}
        cfg["huggingface"] = hf
        if tokenizer_config is not None:
            if isinstance(tokenizer_config, (str, bytes, _os.PathLike)):
                with open(_os.fsdecode(tokenizer_config), "rb") as f:
                    tokenizer_config = _json.loads(f.read().decode("utf-8"))
            cfg["tokenizer_config"] = tokenizer_config
    else:
        if config is not None or tokenizer_config is not None:
            raise textlrp.UsageError("config= and tokenizer_config= apply to arch='bert' only")
        for key, value in hyper.items():
            if key not in _WORD_HYPER:
                raise textlrp.UsageError("unknown option {}= for arch {!r} (valid: {})".format(
                    key, arch, ", ".join(_WORD_HYPER)))
            if key == "max_tokens":
                if isinstance(value, bool) or not isinstance(value, _numbers.Integral):
                    raise TypeError("max_tokens must be an int, not {}".format(type(value).__name__))
                value = int(value)
            elif not isinstance(value, bool):
                raise TypeError("{} must be True or False, not {!r}".format(key, value))
            cfg[key] = value
        if labels is not None:
            labels = [l if isinstance(l, str) else str(l) for l in labels]
            cfg["labels"] = labels
    tensors = _state_dict(module_or_state_dict)
    if embeddings is not None:
        if arch == "bert":
            raise textlrp.UsageError("embeddings= applies to arch 'cnn' and 'bilstm' (a BERT's embeddings are part of "
                                     "its state dict)")
        matrix, vocab = _embedding_matrix(embeddings, vocab)
        if "embedding.weight" in tensors:
            raise textlrp.UsageError("embeddings= was given but the state dict has embedding.weight too: give one")
        tensors["embedding.weight"] = matrix
    vocabulary = _vocabulary(vocab)
    try:
        config_json = _json.dumps(cfg, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise TypeError("config must be JSON: {}".format(e)) from None
    return textlrp.Model._wrap(_textlrp.model_from_memory(config_json, tensors, vocabulary))
