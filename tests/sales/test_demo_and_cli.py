"""The demo seed and the loyalty CLI: seed, check, load-rules."""
from sqlalchemy import func, select

from extensions import db
from models import RuleSet, Station


def test_demo_seed_once_and_check_passes_on_demo_data(runner):
    # 20 members of generated history (the full 200 is tests/test_devstack.py's first start).
    first = runner.invoke(args=["demo", "seed", "--members", "20"])
    assert first.exit_code == 0 and "seeded" in first.output
    assert "20 members" in first.output
    again = runner.invoke(args=["demo", "seed"])
    assert "nothing seeded" in again.output
    assert db.session.scalar(select(func.count()).select_from(Station)) == 3
    check = runner.invoke(args=["loyalty", "check"])
    assert check.exit_code == 0, check.output
    assert check.output.startswith("ok:")


def test_load_rules_replaces_the_rule_book(runner, tmp_path):
    runner.invoke(args=["demo", "seed", "--members", "0"])
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "name: 新规则\nstacking: best_of\nearning:\n"
        "  - {kind: per_litre, grade: \"92\", points: 2, per_ml: 1000, label: \"92# 每升2分\"}\n"
        "multipliers: []\n", encoding="utf-8")
    result = runner.invoke(args=["loyalty", "load-rules", str(rules)])
    assert result.exit_code == 0, result.output
    active = db.session.scalars(select(RuleSet).where(RuleSet.active)).one()
    assert active.name == "新规则"


def test_a_bad_rules_file_is_refused_naming_the_field(runner, tmp_path):
    runner.invoke(args=["demo", "seed", "--members", "0"])
    rules = tmp_path / "bad.yaml"
    rules.write_text("name: 坏\nstacking: multiply\nearning:\n  - {kind: per_litre, grade: \"92\", points: 1.5,"
                     " per_ml: 1000, label: x}\n", encoding="utf-8")
    result = runner.invoke(args=["loyalty", "load-rules", str(rules)])
    assert result.exit_code != 0
    assert "earning[0].points" in result.output
    assert db.session.scalars(select(RuleSet).where(RuleSet.active)).one().name == "演示规则"
