import random

import pytest

from lti_pl.analytics.bkt_fit import BktParameters, fit, predict_each, predict_next
from tests.unit.domain.mastery.reference import knowledge_probability

TRUTH = BktParameters(prior=0.3, learn=0.15, guess=0.2, slip=0.1)


def simulate(students, attempts, p, seed):
    rng = random.Random(seed)
    data = []
    for _ in range(students):
        knows = rng.random() < p.prior
        sequence = []
        for _ in range(attempts):
            sequence.append(rng.random() < (1 - p.slip if knows else p.guess))
            if not knows and rng.random() < p.learn:
                knows = True
        data.append(sequence)
    return data


def test_em_recovers_parameters_of_simulated_students():
    fitted = fit(simulate(400, 10, TRUTH, seed=3)).parameters
    for name in ("prior", "learn", "guess", "slip"):
        assert getattr(fitted, name) == pytest.approx(getattr(TRUTH, name), abs=0.07), name


def test_fit_is_deterministic():
    data = simulate(100, 8, TRUTH, seed=5)
    assert fit(data) == fit(data)


def test_em_never_lowers_the_likelihood_and_beats_the_truth_on_its_data():
    data = simulate(200, 8, TRUTH, seed=11)
    from lti_pl.analytics.bkt_fit import _pad, log_likelihood_of

    correct, mask = _pad(data)
    result = fit(data)
    assert result.log_likelihood >= log_likelihood_of(correct, mask, TRUTH) - 1e-6
    start = (0.5, 0.1, 0.2, 0.1)
    one = fit(data, max_iterations=1, starts=[start]).log_likelihood
    many = fit(data, max_iterations=50, starts=[start]).log_likelihood
    assert many >= one


def test_fit_keeps_guess_and_slip_below_a_half():
    data = simulate(300, 8, TRUTH, seed=17)
    fitted = fit(data).parameters
    assert fitted.guess < 0.5
    assert fitted.slip < 0.5


def test_fit_counts_students_and_observations_and_skips_empty_ones():
    result = fit([[True, False], [], [True]])
    assert (result.students, result.observations) == (2, 3)
    with pytest.raises(ValueError, match="no attempts"):
        fit([[], []])


def test_prediction_agrees_with_the_domain_bkt_and_batch_prediction():
    sequence = [False, True, True]
    known, chance = predict_next(sequence, TRUTH)
    assert known == pytest.approx(knowledge_probability(sequence, 0.3, 0.15, 0.1, 0.2))
    assert chance == pytest.approx(known * 0.9 + (1 - known) * 0.2)
    batch = predict_each([[*sequence, False], [True]], TRUTH)
    assert batch[0][3] == pytest.approx(chance)
    assert batch[1] == [pytest.approx(0.3 * 0.9 + 0.7 * 0.2)]


def test_prior_strength_keeps_a_tiny_class_near_the_defaults():
    defaults = BktParameters(prior=0.3, learn=0.1, guess=0.2, slip=0.1)
    tiny = [[False, True, True], [False, True, True], [True, True, True], [False, True, True]]
    plain = fit(tiny).parameters
    pulled = fit(tiny, prior_strength=20, prior_means=defaults).parameters
    assert plain.learn > 0.9  # maximum likelihood: "everyone learns it after one attempt"
    assert abs(pulled.learn - defaults.learn) < abs(plain.learn - defaults.learn)
    assert pulled.learn < 0.6
