"""A tiny bidirectional LSTM classifier as a PyTorch state dict (pure Python, no NumPy), shared by
tests/cli/cli_bilstm_*.sh: deterministic weights and a safetensors writer.

    import tiny_bilstm as tb
    t = tb.tensors(V, E, H, C)               # {name: (shape, values)}
    tb.write_safetensors(path, t, "F64")     # or "F32"; dtypes={name: "I32"} overrides one tensor
"""
import json
import struct


def vals(n, seed):
    """n deterministic numbers in [-1, 1) (a 64-bit LCG's top 53 bits)."""
    out, x = [], seed
    for _ in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) % 2**64
        out.append(((x >> 11) / 2**53) * 2 - 1)
    return out


def tensors(V, E, H, C):
    """embedding, one bidirectional LSTM layer (nn.LSTM names) and the dense head fc."""
    t = {"embedding.weight": ([V, E], vals(V * E, 1)), "fc.weight": ([C, 2 * H], vals(C * 2 * H, 2)),
         "fc.bias": ([C], vals(C, 3))}
    for i, sfx in enumerate(["", "_reverse"]):
        t["lstm.weight_ih_l0" + sfx] = ([4 * H, E], vals(4 * H * E, 10 + i))
        t["lstm.weight_hh_l0" + sfx] = ([4 * H, H], vals(4 * H * H, 20 + i))
        t["lstm.bias_ih_l0" + sfx] = ([4 * H], vals(4 * H, 30 + i))
        t["lstm.bias_hh_l0" + sfx] = ([4 * H], vals(4 * H, 40 + i))
    return t


_FORMATS = {"F64": "d", "F32": "f", "I32": "i"}


def write_safetensors(path, tensors, dtype="F32", dtypes=None):
    """tensors in name order; I32 tensors hold int(100 * value)."""
    header, data = {}, b""
    for name, (shape, v) in sorted(tensors.items()):
        dt = (dtypes or {}).get(name, dtype)
        v = [int(x * 100) for x in v] if dt == "I32" else v
        blob = struct.pack("<%d%s" % (len(v), _FORMATS[dt]), *v)
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    h = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)
