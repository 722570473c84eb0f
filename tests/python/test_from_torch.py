"""textlrp.from_torch round trips: a model built in memory from a PyTorch module (CNN, BiLSTM) or a
Hugging Face BERT state dict gives the same scores and relevances (the same JSONL objects) as the same
weights written to files and imported with `textlrp import pytorch|huggingface`; bad shapes and
arguments are textlrp errors naming the tensor. The torch modules need python3-torch (skipped with a
message without it); the NumPy state dicts (CNN, BERT) run everywhere."""

import json
import os

import numpy as np
import pytest

import scale_helpers as h
import textlrp

TEXTS = ["WIN free money now, call today!", "meeting at noon for the project, thanks team", "", "zebra Caf\u00e9",
         "free " * 30]
METHODS = ("lrp", "gi", "sa")


def assert_same_model(in_memory, from_files, texts=TEXTS, methods=METHODS):
    assert in_memory.labels == from_files.labels
    assert in_memory.architecture == from_files.architecture
    for text in texts:
        assert in_memory.predict(text).scores == from_files.predict(text).scores
        for method in methods:
            a = in_memory.explain(text, method=method)
            b = from_files.explain(text, method=method)
            assert a.to_dict() == b.to_dict(), (text, method)
            assert np.array_equal(a.relevance, b.relevance)


# --- NumPy state dicts (no torch needed) ---------------------------------------------------------------


def test_cnn_state_dict_of_numpy_arrays(tmp_path):
    sd = h.cnn_state_dict()
    from_files = textlrp.load(h.import_pytorch(tmp_path, "cnn", sd, "cnn"))
    m = textlrp.from_torch(sd, arch="cnn", vocab=h.VOCAB, labels=["ham", "spam"], name="cnn")
    assert m.name == "cnn"
    assert_same_model(m, from_files)
    # vocab as a path, hyper-parameters as the CLI's flags
    vocab = str(tmp_path / "vocab.txt")
    h.write_vocab(vocab)
    cased = textlrp.load(h.import_pytorch(tmp_path, "cnn", sd, "cased", extra=["--no-lowercase", "--max-tokens", "3"]))
    m2 = textlrp.from_torch(sd, arch="cnn", vocab=vocab, labels=("ham", "spam"), name="cased", lowercase=False,
                            max_tokens=3)
    assert_same_model(m2, cased)
    assert m2.explain("free FREE money now").to_dict()["max_tokens"] == 3
    # No directory to pickle it as (a loaded Model pickles as its directory).
    import pickle
    with pytest.raises(TypeError, match="in memory"):
        pickle.dumps(m2)


def test_bad_shapes_and_arguments_are_textlrp_errors():
    sd = h.cnn_state_dict()
    bad = dict(sd)
    bad["fc.weight"] = np.zeros((2, 7), np.float32)
    with pytest.raises(textlrp.FormatError, match=r"state_dict: tensor 'fc.weight' has shape \[2 x 7\], expected \[2 x 8\]"):
        textlrp.from_torch(bad, arch="cnn", vocab=h.VOCAB)
    bad = dict(sd)
    bad["fc.bias"] = np.array([np.nan, 0], np.float32)
    with pytest.raises(textlrp.FormatError, match="fc.bias"):
        textlrp.from_torch(bad, arch="cnn", vocab=h.VOCAB)
    bad = dict(sd)
    del bad["embedding.weight"]
    with pytest.raises(textlrp.FormatError, match="embedding.weight"):
        textlrp.from_torch(bad, arch="cnn", vocab=h.VOCAB)
    with pytest.raises(textlrp.FormatError, match="vocabulary: 19 tokens"):
        textlrp.from_torch(sd, arch="cnn", vocab=h.VOCAB[:-1])
    with pytest.raises(textlrp.FormatError, match="vocabulary"):
        textlrp.from_torch(sd, arch="cnn", vocab=h.VOCAB[:-1] + ["free"])
    with pytest.raises(textlrp.UsageError, match="cnn, bilstm or bert"):
        textlrp.from_torch(sd, arch="svm", vocab=h.VOCAB)
    with pytest.raises(textlrp.UsageError, match="unknown option"):
        textlrp.from_torch(sd, arch="cnn", vocab=h.VOCAB, lowercas=False)
    with pytest.raises(textlrp.UsageError, match="max_tokens"):
        textlrp.from_torch(sd, arch="cnn", vocab=h.VOCAB, max_tokens=0)
    with pytest.raises(TypeError):
        textlrp.from_torch(sd, arch="cnn", vocab=None)
    with pytest.raises(TypeError):
        textlrp.from_torch(42, arch="cnn", vocab=h.VOCAB)
    with pytest.raises(TypeError):
        textlrp.from_torch({"fc.weight": np.array(["a"])}, arch="cnn", vocab=h.VOCAB)


def bert_state_dict(vocab_size, hidden=8, layers=2, heads=2, ff=16, positions=16, classes=2, seed=5):
    rng = np.random.default_rng(seed)
    sd = {}

    def lin(name, out, inp, sd_w):
        sd[name + ".weight"] = rng.normal(0, sd_w, (out, inp))
        sd[name + ".bias"] = rng.normal(0, 0.1, (out,))

    def ln(name):
        sd[name + ".weight"] = rng.uniform(0.8, 1.2, (hidden,))
        sd[name + ".bias"] = rng.normal(0, 0.1, (hidden,))

    sd["bert.embeddings.word_embeddings.weight"] = rng.normal(0, 1, (vocab_size, hidden))
    sd["bert.embeddings.position_embeddings.weight"] = rng.normal(0, 0.3, (positions, hidden))
    sd["bert.embeddings.token_type_embeddings.weight"] = rng.normal(0, 0.3, (2, hidden))
    ln("bert.embeddings.LayerNorm")
    for l in range(layers):
        p = "bert.encoder.layer.{}.".format(l)
        lin(p + "attention.self.query", hidden, hidden, 0.6)
        lin(p + "attention.self.key", hidden, hidden, 0.6)
        lin(p + "attention.self.value", hidden, hidden, hidden ** -0.5)
        lin(p + "attention.output.dense", hidden, hidden, hidden ** -0.5)
        ln(p + "attention.output.LayerNorm")
        lin(p + "intermediate.dense", ff, hidden, 1.5 * hidden ** -0.5)
        lin(p + "output.dense", hidden, ff, ff ** -0.5)
        ln(p + "output.LayerNorm")
    lin("bert.pooler.dense", hidden, hidden, 2 * hidden ** -0.5)
    lin("classifier", classes, hidden, 0.6)
    sd = {k: v.astype(np.float32) for k, v in sd.items()}
    sd["bert.embeddings.position_ids"] = np.arange(positions, dtype=np.int64)[None, :]  # a buffer, not a weight
    return sd


BERT_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "free", "money", "win", "##s", "call", "today", "meet",
              "##ing", "at", "noon", "the", "team", "project", "thanks", ",", "!", "."]


def bert_config(vocab_size, positions=16):
    return {"architectures": ["BertForSequenceClassification"], "model_type": "bert", "vocab_size": vocab_size,
            "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 16,
            "hidden_act": "gelu", "max_position_embeddings": positions, "type_vocab_size": 2,
            "layer_norm_eps": 1e-12, "id2label": {"0": "negative", "1": "positive"}}


def test_bert_state_dict_equals_import_huggingface(tmp_path):
    sd = bert_state_dict(len(BERT_VOCAB))
    cfg = bert_config(len(BERT_VOCAB))
    tc = {"do_lower_case": True, "model_max_length": 12}
    hf = tmp_path / "hf"
    hf.mkdir()
    h.write_safetensors(str(hf / "model.safetensors"), {k: v for k, v in sd.items() if v.dtype == np.float32})
    (hf / "config.json").write_text(json.dumps(cfg))
    (hf / "tokenizer_config.json").write_text(json.dumps(tc))
    h.write_vocab(str(hf / "vocab.txt"), BERT_VOCAB)
    out = str(tmp_path / "bert")
    import subprocess
    subprocess.run([h.TEXTLRP, "import", "huggingface", "--from", str(hf), "--out", out, "-q"], check=True)
    from_files = textlrp.load(out)
    m = textlrp.from_torch(sd, arch="bert", vocab=BERT_VOCAB, config=cfg, tokenizer_config=tc, name="bert")
    assert m.subword
    texts = ["Free money, win today!", "meeting the team at noon", "thanks " * 20]
    assert_same_model(m, from_files, texts, ("lrp", "gi"))
    assert m.explain(texts[0], rule="cp-lrp").to_dict() == from_files.explain(texts[0], rule="cp-lrp").to_dict()
    # labels= renames id2label; a wrong vocabulary size names both sizes
    assert textlrp.from_torch(sd, arch="bert", vocab=BERT_VOCAB, config=cfg, labels=["neg", "pos"]).labels == [
        "neg", "pos"]
    with pytest.raises(textlrp.FormatError, match="vocabulary: 21 tokens"):
        textlrp.from_torch(sd, arch="bert", vocab=BERT_VOCAB[:-1], config=cfg)
    with pytest.raises(textlrp.UsageError):
        textlrp.from_torch(sd, arch="bert", vocab=BERT_VOCAB, config=cfg, lowercase=False)
    with pytest.raises(TypeError):
        textlrp.from_torch(sd, arch="bert", vocab=BERT_VOCAB)  # no config


# --- live torch modules -----------------------------------------------------------------------------


def torch_or_skip():
    return pytest.importorskip("torch", reason="python3-torch is not installed: from_torch round trips of torch "
                                               "modules skipped")


def test_torch_cnn_module(tmp_path):
    torch = torch_or_skip()

    class TextCnn(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(len(h.VOCAB), 6)
            self.convs = torch.nn.ModuleList([torch.nn.Conv1d(6, 4, k) for k in (1, 2, 3)])
            self.fc = torch.nn.Linear(12, 3)

    torch.manual_seed(0)
    module = TextCnn()
    sd = {k: v.detach().numpy() for k, v in module.state_dict().items()}
    labels = ["a", "b", "c"]
    from_files = textlrp.load(h.import_pytorch(tmp_path, "cnn", sd, "torchcnn", labels=labels))
    m = textlrp.from_torch(module, arch="cnn", vocab=h.VOCAB, labels=labels, name="torchcnn")
    assert_same_model(m, from_files)


def test_torch_bilstm_module(tmp_path):
    torch = torch_or_skip()

    class BiLstm(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(len(h.VOCAB), 5)
            self.lstm = torch.nn.LSTM(5, 4, bidirectional=True, batch_first=True)
            self.fc = torch.nn.Linear(8, 2)

    torch.manual_seed(1)
    module = BiLstm()
    sd = {k: v.detach().numpy() for k, v in module.state_dict().items()}
    from_files = textlrp.load(h.import_pytorch(tmp_path, "bilstm", sd, "torchlstm"))
    m = textlrp.from_torch(module.state_dict(), arch="bilstm", vocab=h.VOCAB, labels=["ham", "spam"],
                           name="torchlstm")
    assert_same_model(m, from_files)
    # a tensor of the wrong shape in the live module
    module.fc = torch.nn.Linear(6, 2)
    with pytest.raises(textlrp.FormatError, match="fc.weight"):
        textlrp.from_torch(module, arch="bilstm", vocab=h.VOCAB)


def test_torch_bert_tensors(tmp_path):
    torch = torch_or_skip()
    sd = {k: torch.from_numpy(v) for k, v in bert_state_dict(len(BERT_VOCAB)).items()}
    cfg = bert_config(len(BERT_VOCAB))
    a = textlrp.from_torch(sd, arch="bert", vocab=BERT_VOCAB, config=cfg)
    b = textlrp.from_torch({k: v.numpy() for k, v in sd.items()}, arch="bert", vocab=BERT_VOCAB, config=cfg)
    assert a.explain("free money").to_dict() == b.explain("free money").to_dict()
