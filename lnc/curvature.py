"""Exact Hessians of a loss, w.r.t. the logits or per pair of parameter tensors (book chapter ``ch-hessian``).

A loss here is any ``loss(logits, targets)`` of :mod:`lnc.losses` (N examples, c classes, noisy targets).
"""

import torch
from torch.func import functional_call, hessian


def logit_hessian(loss, logits, target):
    """Hessian of ``loss(h[None], target[None])`` w.r.t. the logits ``h`` of one example; shape ``(c, c)``.

    ``logits``: shape ``(c,)``; ``target``: an int class. For cross-entropy and its backward correction it is
    ``diag(p) - p p^T`` with ``p = softmax(h)``, whatever the target or T.
    """
    targets = torch.tensor([target])
    return hessian(lambda h: loss(h[None], targets))(logits)


def parameter_hessian(model, loss, inputs, targets):
    """Exact Hessian of ``loss(model(inputs), targets)`` w.r.t. the model's parameters, as blocks.

    Returns a dict ``{(a, b): H_ab}`` over every pair of parameter names, ``H_ab`` of shape
    ``(numel_a, numel_b)``. Use float64 models for comparisons at 1e-10. Dropout must be off (``model.eval()``).
    """
    params = {name: p.detach() for name, p in model.named_parameters()}
    full = hessian(lambda ps: loss(functional_call(model, ps, (inputs,)), targets))(params)
    return {(a, b): full[a][b].reshape(params[a].numel(), params[b].numel()) for a in params for b in params}


def layer_blocks(blocks, layers):
    """Group per-tensor blocks into per-layer blocks: ``{(la, lb): H}`` where ``layers`` maps a layer name to
    its parameter names (e.g. ``{"0": ["0.weight", "0.bias"]}``) and ``H`` stacks those tensors' rows/columns."""
    return {(la, lb): torch.cat([torch.cat([blocks[(a, b)] for b in layers[lb]], dim=1) for a in layers[la]], dim=0)
            for la in layers for lb in layers}


def layers_of(model):
    """``{layer: [parameter names]}`` for a model, grouping parameters by the module that owns them."""
    groups = {}
    for name, _ in model.named_parameters():
        groups.setdefault(name.rsplit(".", 1)[0], []).append(name)
    return groups


def layer_hessian(model, loss, inputs, targets):
    """Exact Hessian as per-layer blocks ``{(layer_a, layer_b): H}`` (:func:`parameter_hessian`, :func:`layers_of`)."""
    return layer_blocks(parameter_hessian(model, loss, inputs, targets), layers_of(model))


def full_hessian(model, loss, inputs, targets):
    """Exact Hessian w.r.t. all parameters as one ``(P, P)`` matrix, P the number of parameters."""
    names = [name for name, _ in model.named_parameters()]
    return layer_blocks(parameter_hessian(model, loss, inputs, targets), {"all": names})[("all", "all")]
