"""Methods that learn T with the network (VolMinNet, T-Revision) and cross-fitted posteriors for T̂: the losses
against plain formulas and finite differences, the loop training and selecting their T, the protocol's records."""

import copy

import numpy as np
import pytest
import torch

from lnc.experiments import loop, protocol, recipes
from lnc.experiments.learned_T import REVISION_LR, VOLMIN_LR, RevisionLoss, VolMinLoss
from lnc.experiments.records import record_name, save_record
from lnc.losses import forward_loss
from lnc.metrics import estimation_error

FAST = dict(noise="asymmetric", rate=0.3, epochs=2, device="cpu")
T3 = np.array([[0.7, 0.2, 0.1], [0.05, 0.9, 0.05], [0.3, 0.0, 0.7]])  # asymmetric, a zero entry


def _batch(n=7, c=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, c, generator=g, dtype=torch.float64) * 2, torch.randint(0, c, (n,), generator=g)


def test_volmin_T_is_row_stochastic_with_the_diagonal_largest_in_each_row():
    loss = VolMinLoss(4)
    with torch.no_grad():
        loss.W.copy_(torch.randn(4, 4, generator=torch.Generator().manual_seed(1)) * 3)
    T = loss.transition_matrix().detach().numpy()
    np.testing.assert_allclose(T.sum(axis=1), 1.0, atol=1e-6)
    assert (np.diag(T)[:, None] >= T - 1e-7).all() and (T > 0).all()


def test_volmin_loss_is_the_forward_loss_plus_the_volume_in_training_only():
    logits, targets = _batch()
    loss = VolMinLoss(3, lam=0.5, init=-1.0).double()
    T = loss.transition_matrix().detach().numpy()
    forward = forward_loss(logits, targets, T).item()
    _, logdet = np.linalg.slogdet(T)
    assert loss.eval()(logits, targets).item() == pytest.approx(forward, rel=1e-10)
    assert loss.train()(logits, targets).item() == pytest.approx(forward + 0.5 * logdet, rel=1e-10)


def _check_gradient_entry(loss, parameter, index, logits, targets, eps=1e-6):
    """Autograd's derivative of ``loss(logits, targets)`` in ``parameter[index]`` against a central difference."""
    loss(logits, targets).backward()
    values = []
    for sign in (1, -1):
        with torch.no_grad():
            parameter[index] += sign * eps
            values.append(loss(logits, targets).item())
            parameter[index] -= sign * eps
    assert parameter.grad[index].item() == pytest.approx((values[0] - values[1]) / (2 * eps), rel=1e-5)


def test_volmin_gradient_in_W_matches_finite_differences():
    loss = VolMinLoss(3, lam=0.1).double().train()
    _check_gradient_entry(loss, loss.W, (0, 2), *_batch())


def _revision_by_loop(logits, targets, T):
    """T-Revision's per-example formula, with T fixed for the whole batch."""
    total = 0.0
    for h, y in zip(logits.tolist(), targets.tolist()):
        p = np.exp(h - np.max(h))
        p /= p.sum()
        noisy = sum(p[i] * T[i][y] for i in range(len(p)))
        total += p[y] / noisy * -np.log(p[y])
    return total / len(targets)


@pytest.mark.parametrize("revise", [False, True])
def test_revision_loss_is_the_importance_weighted_cross_entropy(revise):
    logits, targets = _batch(n=9)
    loss = RevisionLoss(T3, revise=revise)
    T = T3.copy()
    if revise:
        delta = np.array([[0.01, -0.02, 0.01], [0.0, 0.03, -0.03], [-0.05, 0.02, 0.03]])
        with torch.no_grad():
            loss.delta.copy_(torch.as_tensor(delta))
        T += delta  # once per batch, not once per example as in the official loop
    assert loss(logits, targets).item() == pytest.approx(_revision_by_loop(logits, targets, T), rel=1e-10)


def test_reweighting_treats_beta_as_a_constant_weight():
    logits, targets = _batch()
    logits.requires_grad_(True)
    RevisionLoss(T3, revise=False)(logits, targets).backward()
    p = torch.softmax(logits.detach(), dim=1)
    beta = p[range(len(targets)), targets] / (p @ torch.as_tensor(T3))[range(len(targets)), targets]
    expected = (beta[:, None] * (p - torch.nn.functional.one_hot(targets, 3))) / len(targets)
    torch.testing.assert_close(logits.grad, expected)


def test_revision_slack_gradient_matches_finite_differences():
    loss = RevisionLoss(T3, revise=True)
    _check_gradient_entry(loss, loss.delta, (1, 0), *_batch(n=9))


def test_revised_T_is_recorded_as_its_projection_on_the_row_stochastic_matrices():
    loss = RevisionLoss(T3, revise=True)
    with torch.no_grad():
        loss.delta.copy_(torch.as_tensor([[0.0, 0.0, -0.2], [0.0, 0.0, 0.0], [0.1, 0.0, 0.0]]))
    expected = np.array([[0.7, 0.2, 0.0], [0.05, 0.9, 0.05], [0.4, 0.0, 0.7]])
    np.testing.assert_allclose(loss.transition_matrix(), expected / expected.sum(axis=1, keepdims=True))


def test_learned_T_losses_refuse_bad_options():
    with pytest.raises(ValueError, match="lam"):
        VolMinLoss(3, lam=-1.0)
    with pytest.raises(TypeError, match="init"):
        VolMinLoss(3, init="low")
    with pytest.raises(ValueError, match="T_hat"):
        RevisionLoss(T3.T, revise=False)


def test_volmin_T_has_its_own_adam_optimiser_without_weight_decay():
    recipe = recipes.get_recipe("cifar10n", "fast")
    model = loop.build_network(recipe, 10, "volmin", torch.device("cpu"))
    loss = VolMinLoss(10)
    optimizer = loop._optimizer(model, recipe, loss)
    network, own = optimizer.optimizers
    assert isinstance(network, torch.optim.SGD) and network.param_groups[0]["nesterov"]
    assert isinstance(own, torch.optim.Adam) and own.param_groups[0]["params"] == [loss.W]
    assert own.param_groups[0]["weight_decay"] == 0.0 and own.param_groups[0]["lr"] == VOLMIN_LR
    assert optimizer.param_groups == network.param_groups + own.param_groups
    revision = loop._optimizer(model, recipe, RevisionLoss(np.eye(10), revise=True))
    assert isinstance(revision, torch.optim.SGD) and len(revision.param_groups) == 2  # ΔT: a group of the network's


def test_a_first_step_moves_each_entry_of_W_by_adams_lr_and_the_network_by_sgds():
    """Adam's first step is ``lr · g / (|g| + eps)`` (closed form): each entry of W moves by the learned T's lr,
    while the network takes the SGD step ``-lr · g``; one call of ``step`` steps both."""
    torch.manual_seed(0)
    x, y = torch.randn(32, 3), torch.randint(0, 3, (32,))
    model, loss = torch.nn.Linear(3, 3), VolMinLoss(3, lam=0.0)
    optimizer = loop._optimizer(model, recipes.Recipe("mnist_fc", 5, optimizer="sgd", lr=0.1), loss)
    W, weight = loss.W.detach().clone(), model.weight.detach().clone()
    loss(model(x), y).backward()
    g_W, g_weight = loss.W.grad.clone(), model.weight.grad.clone()
    loop._epoch(model, optimizer, loss, [(x, y)])
    np.testing.assert_allclose(loss.W.detach() - W, -VOLMIN_LR * torch.sign(g_W), rtol=1e-4)
    np.testing.assert_allclose(model.weight.detach() - weight, -0.1 * g_weight, rtol=1e-5, atol=1e-7)  # float32 ulps


def test_the_schedule_scales_the_learned_Ts_own_optimiser_as_the_networks():
    x, y = torch.randn(32, 3), torch.randint(0, 3, (32,))
    model, loss = torch.nn.Linear(3, 3), VolMinLoss(3)
    optimizer = loop._optimizer(model, recipes.Recipe("mnist_fc", 5, optimizer="sgd", lr=0.1), loss)
    loop.fit(model, optimizer, loss, lambda: [(x, y)], lambda: [(x, y)], milestones=(), epochs=5, schedule="triangle")
    factor = loop.lr_factor(4, 5, schedule="triangle")
    assert [group["lr"] for group in optimizer.param_groups] == pytest.approx([0.1 * factor] * 2 + [VOLMIN_LR * factor])


@pytest.mark.parametrize("c", [2, 3, 10, 100])
def test_volmin_starts_every_diagonal_entry_near_one_half_whatever_the_number_of_classes(c):
    T = VolMinLoss(c).transition_matrix().detach().double().numpy()
    np.testing.assert_allclose(np.diag(T), c / (2 * c - 1), rtol=1e-6)  # W = -log(c - 1): sigmoid(W) = 1 / c


def test_fit_keeps_the_learned_T_of_the_selected_epoch(monkeypatch):
    """Training labels shifted by one class, validation labels not: the validation loss rises after the first
    epoch while T keeps moving, and the T kept is the one after the selected epoch, not the last one."""
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    y = x.argmax(dim=1)
    model, loss = torch.nn.Linear(3, 3), VolMinLoss(3, lam=0.0, init=-3.0)
    loss.lr = 5.0  # T moves fast
    optimizer = loop._optimizer(model, recipes.Recipe("mnist_fc", 4, optimizer="sgd", lr=0.5), loss)
    after_epoch, epoch = [], loop._epoch

    def recording(*args):
        value = epoch(*args)
        after_epoch.append(loss.transition_matrix().detach().numpy().copy())
        return value

    monkeypatch.setattr(loop, "_epoch", recording)
    shifted = (y + 1) % 3
    result = loop.fit(model, optimizer, loss, lambda: [(x, shifted)], lambda: [(x, y)], milestones=(), epochs=4)
    kept = loss.transition_matrix().detach().numpy()
    assert result["best_epoch"] < 4 and np.abs(after_epoch[-1] - after_epoch[result["best_epoch"] - 1]).max() > 1e-4
    np.testing.assert_array_equal(kept, after_epoch[result["best_epoch"] - 1])


def test_the_protocol_runs_volmin_and_revision_and_records_their_T(toy_mnist):
    records = protocol.run_protocol("mnist", methods=("ce", "volmin", "revision"), **FAST)
    by = {r["method"]: r for r in records}
    T_true = np.asarray(by["ce"]["T_true"])
    for method in ("volmin", "revision"):
        r = by[method]
        T = np.asarray(r["T_hat"])
        assert r["status"] == "ok" and r["T"] == r["T_hat"] and np.allclose(T.sum(axis=1), 1.0)
        assert r["estimation_error"] == pytest.approx(estimation_error(T, T_true), abs=1e-6)
    revision = by["revision"]
    assert revision["reweight"]["best_epoch"] >= 1 and 0 <= revision["reweight"]["test_accuracy"] <= 1
    assert revision["delta_T_l1"] <= 100 * 9 * REVISION_LR * 10 + 1e-12  # Adam moves each entry ~lr per step
    assert revision["estimation_error"] == pytest.approx(by["ce"]["estimation_error"], abs=1e-3)


def _starts_of_revision(monkeypatch):
    """The networks T-Revision's stages start from (``None``: fresh), recorded from :func:`protocol._train`."""
    starts, original = [], protocol._train

    def spy(splits, method, loss_fn, recipe, **kw):
        if method == "revision":
            starts.append(None if kw.get("start") is None else copy.deepcopy(kw["start"].state_dict()))
        return original(splits, method, loss_fn, recipe, **kw)

    monkeypatch.setattr(protocol, "_train", spy)
    return starts


def test_revision_starts_from_the_selected_ce_network_even_when_the_ce_record_is_stored(
    toy_mnist, monkeypatch, tmp_path
):
    """Its code's warm start: the reweighting stage starts from the CE network of the job, which a resumed job
    (CE record stored, no weights) trains again, the same run."""
    starts = _starts_of_revision(monkeypatch)
    ce_networks, original_train = [], protocol.train

    def keep(*args, **kw):
        model, record = original_train(*args, **kw)
        ce_networks.append(copy.deepcopy(model.state_dict()))
        return model, record

    monkeypatch.setattr(protocol, "train", keep)
    protocol.run_protocol("mnist", methods=("ce", "revision"), **FAST)
    assert len(ce_networks) == 1 and len(starts) == 2 and starts[1] is not None
    for key, value in ce_networks[0].items():
        torch.testing.assert_close(starts[0][key], value, rtol=0, atol=0)
    protocol.run_protocol("mnist", methods=("ce",), results_dir=tmp_path, **FAST)
    monkeypatch.setattr(protocol, "_STAGES", {})  # a new process: the CE record is read, its network retrained
    records = protocol.run_protocol("mnist", methods=("ce", "revision"), results_dir=tmp_path, **FAST)
    assert records[1]["method_options"] == {"start": "ce"} and len(starts) == 4
    for key, value in ce_networks[0].items():
        torch.testing.assert_close(starts[2][key], value, rtol=0, atol=0)


def test_learned_T_records_of_the_earlier_set_up_are_not_taken_for_the_methods_of_today(toy_mnist, tmp_path):
    """Records without ``method_options`` were made with T on the network's optimiser (VolMinNet) and from a fresh
    network (T-Revision): another method, which a job of today re-runs rather than reads."""
    options = dict(methods=("ce", "volmin"), results_dir=tmp_path, **FAST)
    records = protocol.run_protocol("mnist", **options)
    assert records[1]["method_options"] == {"T_optimizer": "adam", "T_lr": VOLMIN_LR, "T_init": "-log(c - 1)"}
    assert "method_options" not in records[0]
    config = protocol.configure("mnist", **options)
    assert protocol.stored_records(config) is not None
    old = {key: value for key, value in records[1].items() if key != "method_options"}
    (tmp_path / record_name(records[1])).unlink()
    save_record(old, tmp_path)
    assert protocol.stored_records(config) is None and record_name(old) != record_name(records[1])


def test_cross_fitted_posteriors_come_from_networks_that_never_saw_the_example(toy_mnist, monkeypatch):
    seen = []
    original = protocol.train

    def spy(splits, method, recipe, **kw):
        seen.append((splits.x_train.reshape(len(splits.x_train), -1), splits.x_val.reshape(len(splits.x_val), -1)))
        return original(splits, method, recipe, **kw)

    monkeypatch.setattr(protocol, "train", spy)
    records = protocol.run_protocol("mnist", methods=("ce",), cross_fit=3, **FAST)
    assert len(seen) == 4 and records[0]["cross_fit"] == 3  # the CE run, then one network per fold
    folds = [{row.tobytes() for row in val} for _, val in seen[1:]]
    for (train, _), fold in zip(seen[1:], folds):
        assert not fold & {row.tobytes() for row in train}
    assert sum(map(len, folds)) == len(set().union(*folds)) == 600  # the folds cover train + validation once


def test_a_stored_run_is_not_reused_for_another_cross_fit(toy_mnist, tmp_path):
    options = dict(methods=("ce",), results_dir=tmp_path, seeds=(0,), **FAST)
    protocol.run_protocol("mnist", **options)
    assert protocol.stored_records(protocol.configure("mnist", **options)) is not None
    assert protocol.stored_records(protocol.configure("mnist", cross_fit=2, **options)) is None


@pytest.mark.parametrize("value,error", [(1, ValueError), (2.0, TypeError), (True, TypeError)])
def test_cross_fit_must_be_an_int_of_at_least_two(toy_mnist, value, error):
    with pytest.raises(error, match="cross_fit"):
        protocol.configure("mnist", cross_fit=value, **FAST)


def test_jobs_differing_only_in_estimator_share_one_ce_stage_and_record_every_estimate(toy_mnist, monkeypatch):
    calls = []
    original = protocol.train
    monkeypatch.setattr(protocol, "train", lambda *a, **k: calls.append(a[1]) or original(*a, **k))
    runs = {
        (estimator, k): protocol.run_protocol("mnist", methods=("ce",), estimator=estimator, cross_fit=k, **FAST)[0]
        for k in (None, 2)
        for estimator in ("anchor", "confident_joint")
    }
    assert calls == ["ce"] * 3  # the CE network once, then its two folds once
    for (estimator, k), record in runs.items():
        kind = "cross_fit" if k else "in_sample"
        assert set(record["estimates"]) == ({"in_sample", "held_out", "cross_fit"} if k else {"in_sample", "held_out"})
        assert set(record["estimates"][kind]) == set(protocol.ESTIMATORS)
        assert record["estimates"][kind][estimator]["T_hat"] == record["T_hat"]
        assert record["estimation_error"] == pytest.approx(
            estimation_error(np.asarray(record["T_hat"]), np.asarray(record["T_true"])), abs=1e-6
        )
    assert runs["anchor", 2]["estimates"]["in_sample"] == runs["anchor", None]["estimates"]["in_sample"]
    assert runs["anchor", 2]["T_hat"] != runs["anchor", None]["T_hat"]
