"""Breaker seventeen: train_detector written in unusual but correct styles still passes the
reproducibility check (two runs on REPRODUCIBILITY_CLIPS clips of noise) and the other
architectures checks; subtly non-reproducible ones fail exactly that check. The overlap
attacks tried (tests/test_calls_ahead.py compares both modes) found no difference in a
report, and are described in the report of this breaker rather than kept as tests."""

import pytest

from mutants import COURSE, assert_loses_exactly, checks_by_id, grade_mutant, grading_process, make_mutant

# numpy's seeded Generator for the split, a DataLoader of batches of 10 seeded from it, AdamW.
DATALOADER_10_NUMPY_RNG = '''
from torch.utils.data import DataLoader as _DL, TensorDataset as _TD

def train_detector(X, y, seed):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    order = rng.permutation(len(X))
    n_val = int(0.2 * len(X))
    val, tr = order[:n_val], order[n_val:]
    x = torch.as_tensor(np.array(X)); t = torch.as_tensor(np.array(y), dtype=torch.float32)
    g = torch.Generator(); g.manual_seed(int(rng.integers(2**31)))
    loader = _DL(_TD(x[tr], t[tr]), batch_size=10, shuffle=True, generator=g, drop_last=False)
    model = nn.Sequential(clip_classifier(1), nn.Flatten(0))
    opt = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE)
    best, state = float("inf"), None
    for _ in range(EPOCHS):
        model.train()
        for xb, tb in loader:
            if len(xb) < 2:
                continue
            loss = F.binary_cross_entropy_with_logits(model(xb), tb)
            opt.zero_grad(); loss.backward(); opt.step()
        vl = validation_loss(model, x[val], t[val])
        if vl < best:
            best, state = vl, {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    return model.eval()
'''

# Non-reproducible: train_one_epoch's batches in an order from an unseeded source (the split,
# from torch's seeded RNG, is reproducible). The same with the split from the unseeded source
# was caught too (ids bob, s123).
UNSEEDED_BATCHES = """
def train_one_epoch(model, optimiser, x, t):
    model.train()
    order = torch.as_tensor({order})
    for batch in order.split(BATCH_SIZE):
        loss = F.binary_cross_entropy_with_logits(model(x[batch]), t[batch])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
"""
# numpy's global RNG unseeded is the likeliest; random.sample unseeded and a torch Generator
# seeded from the clock were caught the same way (breaker seventeen's report).
NOT_REPRODUCIBLE = {"numpy_global_rng": UNSEEDED_BATCHES.format(order="np.random.permutation(len(x))")}

# A DataLoader of 16 from random_split with early stopping (patience 2) passed for bob, s123
# and zz9 in breaker seventeen's runs; a stratified sklearn split with a BatchNorm1d head
# passed for s123 and zz9 but fell under the AUC bound for bob (a weaker model).
CORRECT = {"loader10_numpy": (DATALOADER_10_NUMPY_RNG, "zz9")}


@pytest.mark.slow(seconds=5)  # one grading of architectures each
@pytest.mark.parametrize(("replacement", "student"), CORRECT.values(), ids=CORRECT.keys())
def test_an_unusual_correct_detector_passes_every_architectures_check(tmp_path, replacement, student):
    submission = make_mutant(tmp_path, "architectures", replacement)
    report = grading_process().grade(submission, COURSE, student=student, concepts=("architectures",))
    failed = {check_id: check["feedback"] for check_id, check in checks_by_id(report, "architectures").items() if check["status"] != "passed"}
    assert failed == {}


@pytest.mark.slow(seconds=5)
@pytest.mark.parametrize("replacement", NOT_REPRODUCIBLE.values(), ids=NOT_REPRODUCIBLE.keys())
def test_a_subtly_unseeded_detector_fails_only_the_reproducibility_check(tmp_path, replacement):
    report = grade_mutant(tmp_path, "architectures", "architectures", replacement)
    assert_loses_exactly(report, "architectures", {"train_detector_is_reproducible"}, "same seed gave different models")
