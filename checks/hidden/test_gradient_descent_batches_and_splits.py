"""Hidden checks for how gradient descent's data is divided: shuffled minibatches, and
training, validation and test sets, with and without groups. Every student meets every
case the docstrings promise (a batch size that divides N and one that does not; a split
with and without groups); the seeded values differ."""

import math

import numpy as np
import pytest

from autograder.compare import CheckFailed, expect_array
from autograder.mistakes import gradient_descent as mistakes

pytestmark = pytest.mark.concept("gradient_descent")


def batch_cases(rng):
    """(n_samples, batch_size): one N that batch_size divides, one it does not."""
    batch_size, batches = int(rng.integers(3, 9)), int(rng.integers(3, 10))
    return [(batch_size * batches, batch_size), (batch_size * batches + int(rng.integers(1, batch_size)), batch_size)]


def test_minibatch_indices_cover_every_sample_once_per_epoch(student, rng):
    """ceil(N / B) batches of size B (the last shorter when B does not divide N) holding 0, ..., N - 1 once each."""
    for n, batch_size in batch_cases(rng):
        batches = student.minibatch_indices(n, batch_size, int(rng.integers(1000)))
        sizes = [len(expect_array(batch, "each batch of minibatch_indices", dtype=np.int64)) for batch in batches]
        full = [batch_size] * (n // batch_size)
        if sizes != full + ([n % batch_size] if n % batch_size else []):
            known = mistakes.EMPTY_LAST_BATCH if 0 in sizes else mistakes.DROPS_LAST_BATCH if sizes == full else ""
            if known:
                raise CheckFailed(f"minibatch_indices: {known}", mistake=known)
            raise CheckFailed("minibatch_indices should give batches of batch_size, and one shorter batch with the rest last when batch_size does not divide N.")
        if sorted(np.concatenate(batches).tolist()) != list(range(n)):
            raise CheckFailed(f"minibatch_indices: {mistakes.WITH_REPLACEMENT}", mistake=mistakes.WITH_REPLACEMENT)


def test_minibatch_indices_shuffle_with_the_seed(student, rng):
    """The batches, joined, are np.random.default_rng(seed).permutation(n_samples)."""
    for n, batch_size in batch_cases(rng):
        seed = int(rng.integers(1000))
        got = np.concatenate(student.minibatch_indices(n, batch_size, seed))
        if n % batch_size and len(got) == n - n % batch_size:
            raise CheckFailed(f"minibatch_indices: {mistakes.DROPS_LAST_BATCH}", mistake=mistakes.DROPS_LAST_BATCH)
        if np.array_equal(got, np.arange(n)):
            raise CheckFailed(f"minibatch_indices: {mistakes.UNSHUFFLED}", mistake=mistakes.UNSHUFFLED)
        if not np.array_equal(got, np.random.default_rng(seed).permutation(n)):
            raise CheckFailed("minibatch_indices should shuffle with np.random.default_rng(seed).permutation(n_samples).")


def check_split(parts, n, name):
    """The three index arrays are int64, disjoint, and hold 0, ..., n - 1 together."""
    joined = np.concatenate([expect_array(part, name, dtype=np.int64) for part in parts])
    if len(np.unique(joined)) < len(joined):
        raise CheckFailed(f"{name}: {mistakes.SPLIT_OVERLAP}", mistake=mistakes.SPLIT_OVERLAP)
    if sorted(joined.tolist()) != list(range(n)):
        raise CheckFailed(f"{name}: {mistakes.SPLIT_MISSES}", mistake=mistakes.SPLIT_MISSES)


def expect_split(parts, n, val_fraction, test_fraction, groups=None):
    """The parts split the n samples into disjoint sets of whole units (samples, or the groups
    when given) holding ceil(test_fraction * U) test and ceil(val_fraction * U) validation units."""
    labels = np.arange(n) if groups is None else groups
    check_split(parts, len(labels), "train_val_test_split")
    unit_sets = [set(labels[part].tolist()) for part in parts]
    if any(unit_sets[i] & unit_sets[j] for i, j in ((0, 1), (0, 2), (1, 2))):
        raise CheckFailed(f"train_val_test_split: {mistakes.SPLIT_GROUP}", mistake=mistakes.SPLIT_GROUP)
    units = len(np.unique(labels))
    n_test, n_val = math.ceil(test_fraction * units), math.ceil(val_fraction * units)
    if [len(s) for s in unit_sets] != [units - n_test - n_val, n_val, n_test]:
        if groups is None:
            raise CheckFailed("train_val_test_split should give ceil(test_fraction * N) test and ceil(val_fraction * N) validation samples.")
        raise CheckFailed("train_val_test_split with groups should give ceil(test_fraction * G) groups to the test set and ceil(val_fraction * G) to validation.")


def fractions_away_from_whole_numbers(rng, units):
    """Validation and test fractions whose share of `units` is not a whole number."""
    while True:
        val, test = rng.uniform(0.1, 0.3, size=2)
        if all(0.05 < (f * units) % 1 < 0.95 for f in (val, test)):
            return float(val), float(test)


def random_groups(rng):
    """The group id of each sample: 10 to 24 groups of 1 to 5 samples, with ids that are not 0, ..., G - 1."""
    n_groups = int(rng.integers(10, 25))
    return rng.permutation(np.repeat(np.arange(n_groups) * 7 + 3, rng.integers(1, 6, size=n_groups)))


@pytest.mark.points(2)
def test_train_val_test_split_is_disjoint_and_covers(student, rng):
    """Disjoint sets that together hold every sample, of sizes ceil(f_test N) and ceil(f_val N)."""
    n = int(rng.integers(30, 200))
    val_fraction, test_fraction = fractions_away_from_whole_numbers(rng, n)
    parts = student.train_val_test_split(n, val_fraction, test_fraction, int(rng.integers(1000)))
    expect_split(parts, n, val_fraction, test_fraction)


@pytest.mark.points(2)
def test_train_val_test_split_never_splits_a_group(student, rng):
    """With groups, every group lies in one set, and the sets hold ceil(f * G) of the G groups."""
    groups = random_groups(rng)
    val_fraction, test_fraction = fractions_away_from_whole_numbers(rng, len(np.unique(groups)))
    parts = student.train_val_test_split(len(groups), val_fraction, test_fraction, int(rng.integers(1000)), groups=groups.copy())
    expect_split(parts, len(groups), val_fraction, test_fraction, groups)


def seeds_of_different_splits(rng, units, val_fraction, test_fraction, count=3):
    """`count` seeds for which the docstring's recipe puts different units in the test and
    validation sets, so a split that follows its seed cannot give one split for all of them."""
    n_test, n_val = math.ceil(test_fraction * len(units)), math.ceil(val_fraction * len(units))
    seeds, splits = [], set()
    while len(seeds) < count:
        seed = int(rng.integers(10_000))
        order = np.random.default_rng(seed).permutation(units)
        split = (frozenset(order[:n_test].tolist()), frozenset(order[n_test : n_test + n_val].tolist()))
        if split not in splits:
            seeds.append(seed)
            splits.add(split)
    return seeds


def same_split(first, second):
    return all(np.array_equal(np.sort(a), np.sort(b)) for a, b in zip(first, second))


def test_train_val_test_split_follows_its_seed(student, rng):
    """Without and with groups: one seed always gives the same split, and different seeds give different splits."""
    for groups in (None, random_groups(rng)):
        n = int(rng.integers(30, 200)) if groups is None else len(groups)
        units = np.arange(n) if groups is None else np.unique(groups)
        val_fraction, test_fraction = fractions_away_from_whole_numbers(rng, len(units))

        def split(seed):
            given = {} if groups is None else {"groups": groups.copy()}
            parts = student.train_val_test_split(n, val_fraction, test_fraction, seed, **given)
            expect_split(parts, n, val_fraction, test_fraction, groups)
            return parts

        seeds = seeds_of_different_splits(rng, units, val_fraction, test_fraction)
        first = split(seeds[0])
        if not same_split(first, split(seeds[0])):
            raise CheckFailed(f"train_val_test_split: {mistakes.SPLIT_NOT_REPRODUCIBLE}", mistake=mistakes.SPLIT_NOT_REPRODUCIBLE)
        if all(same_split(first, split(seed)) for seed in seeds[1:]):
            raise CheckFailed(f"train_val_test_split: {mistakes.SPLIT_IGNORES_SEED}", mistake=mistakes.SPLIT_IGNORES_SEED)
