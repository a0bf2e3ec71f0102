"""Web-scale data streamed from disk: the ImageNet transform and the two-stage protocol on a tiny release."""

import dataclasses
import json

import numpy as np
import pytest
import torch
from PIL import Image

from lnc.experiments import web
from lnc.experiments.records import record_name

TINY = dict(
    recipe=dataclasses.replace(
        web.WEB_RECIPE, model="cifar_resnet", model_kwargs={"n": 1}, lr=0.05, epochs=2, batch_size=8
    ),
    crop=32,
    resize=36,
    val_size=6,
    loader_workers=0,
    device="cpu",
)


def write_clothing1m(root, per_class=3):
    """A Clothing1M-shaped release of 14 × ``per_class`` noisy and 14 clean test images (class = colour)."""
    keys = []
    for c in range(14):
        for k in range(per_class + 1):
            path = root / "images" / f"{c}_{k}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (20, 16), (18 * c, 255 - 18 * c, 40 * (c % 3))).save(path)
            keys.append((f"images/{c}_{k}.png", c))
    noisy, clean = keys[:: per_class + 1], [kv for kv in keys if kv not in keys[:: per_class + 1]]
    (root / "noisy_label_kv.txt").write_text(
        "".join(f"{p} {(c + 1) % 14 if i % 4 == 0 else c}\n" for i, (p, c) in enumerate(clean))
    )
    (root / "clean_label_kv.txt").write_text("".join(f"{p} {c}\n" for p, c in noisy))
    (root / "noisy_train_key_list.txt").write_text("".join(f"{p}\n" for p, _ in clean))
    for split in ("clean_train", "clean_val", "clean_test"):
        (root / f"{split}_key_list.txt").write_text("".join(f"{p}\n" for p, _ in noisy))


def test_eval_transform_is_the_normalised_centre_window():
    image = Image.new("RGB", (50, 40), (255, 128, 0))
    x = web.ImageTransform(False, crop=24, resize=32)(image)
    expected = (torch.tensor([255, 128, 0]) / 255.0 - torch.tensor(web.IMAGENET_MEAN)) / torch.tensor(web.IMAGENET_STD)
    assert x.shape == (3, 24, 24) and x.dtype == torch.float32
    torch.testing.assert_close(x, expected[:, None, None].expand(3, 24, 24).float())


def test_train_transform_is_a_random_window_possibly_flipped(torch_seeded):
    columns = np.tile(np.arange(32, dtype=np.uint8) * 8, (32, 1))  # red = 8 × column index
    image = Image.fromarray(np.stack([columns, np.zeros_like(columns), np.zeros_like(columns)], axis=-1))
    transform = web.ImageTransform(True, crop=20, resize=32)
    seen = set()
    for _ in range(20):
        x = transform(image)[0] * web.IMAGENET_STD[0] + web.IMAGENET_MEAN[0]
        red = torch.round(x[0] * 255 / 8).long().tolist()  # the column indices of one row
        step = red[1] - red[0]
        assert step in (1, -1) and red == [red[0] + step * k for k in range(20)]
        seen.add((min(red), step))
    assert len(seen) > 5 and {s for _, s in seen} == {1, -1}
    with pytest.raises(ValueError, match=r"crop must be an int in \[1, 32\], got 40"):
        web.ImageTransform(True, crop=40, resize=32)


def test_web_protocol_runs_ce_then_the_corrections_with_t_hat(tmp_path):
    write_clothing1m(tmp_path / "Clothing1M")
    records = web.run_web_protocol("clothing1m", tmp_path / "Clothing1M", results_dir=tmp_path / "out", **TINY)
    assert [r["method"] for r in records] == ["ce", "backward_est", "forward_est"]
    T_hat = np.array(records[0]["T_hat"])
    assert T_hat.shape == (14, 14) and np.allclose(T_hat.sum(axis=1), 1.0)
    # two epochs on 36 images give a poor CE model: its T̂ may be singular, which fails backward_est only
    assert records[1]["status"] == "ok" or "non-singular" in records[1]["error"]
    for r in records:
        assert r["n_train"] == 36 and r["n_val"] == 6 and r["n_test"] == 14
        assert r["status"] == "failed" or 0.0 <= r["test_accuracy"] <= 1.0
        assert r["T_hat"] == records[0]["T_hat"] and (r["status"] == "failed" or len(r["curves"]["val_loss"]) == 2)
        saved = json.loads((tmp_path / "out" / record_name(r)).read_text())
        assert saved == r
    assert records[0]["T"] is None and records[2]["T"] == records[0]["T_hat"] and records[2]["status"] == "ok"
    again = web.run_web_protocol("clothing1m", tmp_path / "Clothing1M", methods=("ce",), **TINY)
    assert again[0]["curves"] == records[0]["curves"] and again[0]["T_hat"] == records[0]["T_hat"]


def test_an_unusable_estimate_fails_its_corrections_not_the_run(tmp_path, monkeypatch):
    write_clothing1m(tmp_path)
    collapsed = np.zeros((14, 14))
    collapsed[:, 13] = 1.0  # a CE model that predicts one class everywhere
    monkeypatch.setattr(web, "estimate_T", lambda probs, labels, quantile: collapsed)
    records = web.run_web_protocol("clothing1m", tmp_path, results_dir=tmp_path / "out", **TINY)
    assert [r["status"] for r in records] == ["ok", "failed", "failed"]
    assert "non-singular" in records[1]["error"] and "zero columns [0, 1, 2" in records[2]["error"]
    assert records[0]["cond_T_hat"] is None and len(list((tmp_path / "out").glob("*.json"))) == 3


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(dataset="clothing2m"), "dataset must be one of"),
        (dict(methods=("forward",)), r"methods\[0\] must be one of \('ce', 'backward_est', 'forward_est'\)"),
        (dict(val_size=42), r"val_size must lie in \[0, 42\)"),
        (dict(val_size=-1), r"val_size must be an int >= 0"),
        (dict(seed=-1), r"seed must be an int >= 0"),
        (dict(results_dir="/dev/null/out"), "results_dir"),
    ],
)
def test_web_protocol_refuses_bad_configurations(tmp_path, kwargs, match):
    write_clothing1m(tmp_path)
    kwargs = {**TINY, **kwargs}
    with pytest.raises(ValueError, match=match):
        web.run_web_protocol(kwargs.pop("dataset", "clothing1m"), tmp_path, **kwargs)


def test_a_recipe_with_zero_epochs_cannot_be_made():
    with pytest.raises(ValueError, match="recipe.epochs must be an int >= 1"):
        dataclasses.replace(web.WEB_RECIPE, epochs=0)


def test_command_line_reports_a_failed_correction(monkeypatch, capsys):
    """Past bug: a correction that could not use T_hat crashed the command line with TypeError (100 * None)."""
    monkeypatch.setattr(
        web,
        "run_web_protocol",
        lambda dataset, root, **kwargs: [
            {"method": "backward_est", "status": "failed", "test_accuracy": None, "error": "T must be non-singular"}
        ],
    )
    web.main(["clothing1m", "--root", "/data/Clothing1M"])
    assert "backward_est  failed: T must be non-singular" in capsys.readouterr().out


def test_command_line_passes_its_options_on(monkeypatch, capsys):
    calls = []

    def fake(dataset, root, **kwargs):
        calls.append((dataset, root, kwargs))
        return [{"method": "ce", "status": "ok", "test_accuracy": 0.5, "best_epoch": 1, "epochs": 3}]

    monkeypatch.setattr(web, "run_web_protocol", fake)
    web.main(["webvision", "--root", "/data/WebVision", "--epochs", "3", "--methods", "ce"])
    dataset, root, kwargs = calls[0]
    assert (dataset, root, kwargs["methods"], kwargs["recipe"].epochs) == ("webvision", "/data/WebVision", ["ce"], 3)
    assert "ce            test accuracy 50.00%  (epoch 1 of 3)" in capsys.readouterr().out
