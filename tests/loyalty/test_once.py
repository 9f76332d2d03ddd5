"""loyalty.once.run_once, the one shape of an idempotent command, on its own."""
import pytest
from sqlalchemy import func, select

from extensions import db
from loyalty.errors import DuplicateConflict, ValidationError
from loyalty.once import check_reference, run_once
from models import Station


def stations() -> int:
    return db.session.scalar(select(func.count()).select_from(Station))


def by_code(code):
    return db.session.scalars(select(Station).where(Station.code == code)).first()


def test_the_first_run_commits_and_a_retry_gets_the_first_result(any_app):
    first = run_once("station:X", lambda: by_code("X"), lambda: _add("X"))
    retry = run_once("station:X", lambda: by_code("X"), lambda: _add("X"))
    assert (first.created, retry.created) == (True, False) and retry.result.id == first.result.id
    db.session.rollback()
    assert stations() == 1  # committed once


def test_a_writer_that_beat_us_to_the_unique_index_is_the_answer(any_app):
    db.session.add(Station(code="X", name="先到的"))
    db.session.commit()
    looks = []

    def first():  # the first look misses it, as if it committed a moment later
        looks.append(1)
        return by_code("X") if len(looks) > 1 else None

    done = run_once("station:X", first, lambda: _add("X"))
    assert not done.created and done.result.name == "先到的" and stations() == 1


def test_a_conflict_or_a_failure_leaves_nothing_written(any_app):
    def conflict():
        raise DuplicateConflict(key="k")

    with pytest.raises(DuplicateConflict):
        run_once("k", conflict, lambda: _add("Y"))

    def failing():
        _add("Z")
        raise ValueError("boom")

    with pytest.raises(ValueError):
        run_once("k", lambda: None, failing)
    assert stations() == 0


@pytest.mark.parametrize("value", [None, "", 7, "x" * 65, ["T1"]])
def test_a_reference_number_is_a_string_of_1_to_64(value):
    with pytest.raises(ValidationError) as error:
        check_reference(value, "pos_txn_no", "POS 流水号")
    assert error.value.details["field"] == "pos_txn_no"
    assert check_reference("x" * 64, "pos_txn_no", "POS 流水号") == "x" * 64


def _add(code: str) -> Station:
    station = Station(code=code, name=code)
    db.session.add(station)
    db.session.flush()
    return station
