"""Exact Hessians of a loss, w.r.t. the logits or per pair of parameter tensors (book chapter ``ch-hessian``).

A loss here is any ``loss(logits, targets)`` of :mod:`lnc.losses` (N examples, c classes, noisy targets).
"""

from collections.abc import Mapping

import torch
from torch import nn
from torch.func import functional_call, hessian

from .._checks import LOGIT_DTYPES, check_has_data, check_int, check_sequence, describe


def logit_hessian(loss, logits, target):
    """Hessian of ``loss(h[None], target[None])`` w.r.t. the logits ``h`` of one example; shape ``(c, c)``.

    ``logits``: a floating tensor of shape ``(c,)``, c >= 2; ``target``: an int class in ``[0, c)`` (a Python or
    numpy int, or a 0-d integer tensor). For cross-entropy and its backward correction it is
    ``diag(p) - p p^T`` with ``p = softmax(h)``, whatever the target or T.
    """
    _check_loss(loss)
    if not isinstance(logits, torch.Tensor) or logits.dtype not in LOGIT_DTYPES or logits.layout != torch.strided:
        raise TypeError(f"logits must be a floating-point torch.Tensor of shape (c,), got {describe(logits)}")
    if logits.ndim != 1 or logits.shape[0] < 2:
        raise ValueError(f"logits must have shape (c,) with c >= 2, got {tuple(logits.shape)}")
    if (
        isinstance(target, torch.Tensor)
        and target.ndim == 0
        and not (target.is_floating_point() or target.is_complex() or target.dtype == torch.bool)
    ):
        target = target.item()
    target = check_int(target, name="target", low=0, high=logits.shape[0] - 1)
    targets = torch.tensor([target])
    return hessian(lambda h: _scalar(loss(h[None], targets), one_example=True))(logits)


def parameter_hessian(model, loss, inputs, targets):
    """Exact Hessian of ``loss(model(inputs), targets)`` w.r.t. the model's parameters, as blocks.

    Returns a dict ``{(a, b): H_ab}`` over every pair of parameter names, ``H_ab`` of shape
    ``(numel_a, numel_b)``. ``loss`` must return a scalar (``reduction="mean"`` or ``"sum"``). Use float64
    models for comparisons at 1e-10. Dropout must be off (``model.eval()``).
    """
    _check_model(model)
    _check_loss(loss)
    if not isinstance(inputs, torch.Tensor):
        raise TypeError(f"inputs must be a torch.Tensor, got {describe(inputs)}")
    params = {name: p.detach() for name, p in model.named_parameters()}
    if not params:
        raise ValueError(f"model must have parameters, got a {type(model).__name__} without any")

    def objective(ps):
        try:
            outputs = functional_call(model, ps, (inputs,))
        except RuntimeError as err:  # a shape or dtype that the model cannot take
            raise ValueError(
                f"inputs must fit model, got shape {tuple(inputs.shape)} and dtype {inputs.dtype}: {err}"
            ) from err
        return _scalar(loss(outputs, targets))

    full = hessian(objective)(params)
    return {(a, b): full[a][b].reshape(params[a].numel(), params[b].numel()) for a in params for b in params}


def layer_blocks(blocks, layers):
    """Group per-tensor blocks into per-layer blocks: ``{(la, lb): H}`` where ``layers`` maps a layer name to
    its parameter names (e.g. ``{"0": ["0.weight", "0.bias"]}``) and ``H`` stacks those tensors' rows/columns.

    ``blocks`` is a dict ``{(a, b): H_ab}`` as :func:`parameter_hessian` returns, holding every pair of the
    parameter names listed in ``layers``.
    """
    _check_blocks(blocks, name="blocks")
    if not isinstance(layers, Mapping):
        raise TypeError(f"layers must be a dict {{layer: [parameter names]}}, got {describe(layers)}")
    layers = {layer: check_sequence(names, name=f"layers[{layer!r}]") for layer, names in layers.items()}
    names = [name for group in layers.values() for name in group]
    missing = next(((a, b) for a in names for b in names if (a, b) not in blocks), None)
    if missing is not None:
        raise ValueError(f"blocks must hold every pair of the parameter names in layers, got no block {missing!r}")
    return {
        (la, lb): torch.cat([torch.cat([blocks[(a, b)] for b in layers[lb]], dim=1) for a in layers[la]], dim=0)
        for la in layers
        for lb in layers
    }


def layers_of(model):
    """``{layer: [parameter names]}`` for a model, grouping parameters by the module that owns them."""
    _check_model(model)
    groups = {}
    for name, _ in model.named_parameters():
        groups.setdefault(name.rsplit(".", 1)[0], []).append(name)
    return groups


def layer_hessian(model, loss, inputs, targets):
    """Exact Hessian as per-layer blocks ``{(layer_a, layer_b): H}`` (:func:`parameter_hessian`, :func:`layers_of`)."""
    return layer_blocks(parameter_hessian(model, loss, inputs, targets), layers_of(model))


def block_gaps(blocks_a, blocks_b):
    """``(largest |difference| in the diagonal blocks, largest in the cross-layer blocks)`` of two
    :func:`layer_hessian` results of the same network (book chapter ``ch-hessian``): the same pairs of layers, every
    pair of them, each block a finite tensor of the same shape in both."""
    for name, blocks in (("blocks_a", blocks_a), ("blocks_b", blocks_b)):
        _check_blocks(blocks, name=name)
        layers = {a for a, _ in blocks}
        if not blocks or set(blocks) != {(a, b) for a in layers for b in layers}:
            raise ValueError(
                f"{name} must hold a block for every pair of its layers (see layer_hessian), got {sorted(blocks)}"
            )
    if blocks_a.keys() != blocks_b.keys():
        raise ValueError(f"blocks_b must have the blocks of blocks_a {sorted(blocks_a)}, got {sorted(blocks_b)}")
    shapes = [key for key in blocks_a if blocks_a[key].shape != blocks_b[key].shape]
    if shapes:
        raise ValueError(
            f"blocks_b[{shapes[0]!r}] must have the shape of blocks_a's "
            f"{tuple(blocks_a[shapes[0]].shape)}, got {tuple(blocks_b[shapes[0]].shape)}"
        )
    gaps = {key: (blocks_a[key] - blocks_b[key]).abs().max().item() for key in blocks_a}
    return (
        max(g for (a, b), g in gaps.items() if a == b),
        max((g for (a, b), g in gaps.items() if a != b), default=0.0),
    )


def full_hessian(model, loss, inputs, targets):
    """Exact Hessian w.r.t. all parameters as one ``(P, P)`` matrix, P the number of parameters."""
    blocks = parameter_hessian(model, loss, inputs, targets)
    names = [name for name, _ in model.named_parameters()]
    return layer_blocks(blocks, {"all": names})[("all", "all")]


def _check_loss(loss):
    if not callable(loss):
        raise TypeError(f"loss must be a callable loss(logits, targets), got {describe(loss)}")


def _check_blocks(blocks, *, name):
    """Check that ``blocks`` is a dict ``{(a, b): H_ab}`` of finite, floating 2-D tensors."""
    if not isinstance(blocks, Mapping):
        raise TypeError(f"{name} must be a dict {{(a, b): H_ab}} (see parameter_hessian), got {describe(blocks)}")
    for key, block in blocks.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise TypeError(f"{name} must have pairs (a, b) as keys, got {key!r}")
        if not isinstance(block, torch.Tensor) or not block.is_floating_point() or block.ndim != 2:
            raise TypeError(f"{name}[{key!r}] must be a floating 2-D torch.Tensor, got {describe(block)}")
        if not torch.isfinite(check_has_data(block, name=f"{name}[{key!r}]")).all():
            raise ValueError(f"{name}[{key!r}] must be finite, got NaN or inf")


def _check_model(model):
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {describe(model)}")


def _scalar(value, one_example=False):
    """``value`` after checking it is a scalar tensor (the Hessian of a vector would have another shape); with
    ``one_example``, the per-example loss of shape ``(1,)`` (``reduction="none"``) counts as a scalar."""
    if one_example and isinstance(value, torch.Tensor) and value.shape == (1,):
        value = value[0]
    if not isinstance(value, torch.Tensor) or value.ndim != 0:
        got = f"shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) else describe(value)
        raise ValueError(f"loss must return a scalar (reduction='mean' or 'sum'), got {got}")
    return value
