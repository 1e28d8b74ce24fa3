"""Law 7: hidden inputs are seeded by course salt, student and check; stable across processes."""

from autograder.plugin import hidden_seed


def test_seeds_are_stable_and_personal():
    assert hidden_seed("salt", "ada", "losses", "x") == hidden_seed("salt", "ada", "losses", "x")
    assert hidden_seed("salt", "ada", "losses", "x") != hidden_seed("salt", "bob", "losses", "x")
    assert hidden_seed("salt", "ada", "losses", "x") != hidden_seed("other", "ada", "losses", "x")
    assert hidden_seed("salt", "ada", "losses", "x") != hidden_seed("salt", "ada", "losses", "y")
    # HMAC-SHA256 keyed by the salt: the same on every machine and process
    assert hidden_seed("salt", "ada", "losses", "x") == 576762982259358816
