"""Reading pools and quotas; every bad input names the file, row, column and value."""

from __future__ import annotations

import random

import pytest

from sortition import Pool, Quotas, SortitionError, check_feasibility, draw, load_pool, load_quotas


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


QUOTA_VARIANTS = {
    "feature,value": "feature,value,min,max,min_flex,max_flex\ng,a,1,2,0,3\ng,b,1,2,0,3\n",
    "category,feature": "category,feature,min,max\ng,b,1,2\ng,a,1,2",
    "category,name": "Category,Name,Min,Max\ng,a,1,2\ng,b,1,2\n",
    "opendlp sheet": "category,name,suggest min,suggest max,Current #,min,max\ng,a,,,,1,2\ng,b,,,,1,2\n",
}


@pytest.mark.parametrize("text", QUOTA_VARIANTS.values(), ids=QUOTA_VARIANTS.keys())
def test_quota_header_variants_give_the_same_quotas(tmp_path, text):
    quotas = load_quotas(write(tmp_path, "q.csv", text))
    assert list(quotas.items()) == [("g", "a", 1, 2), ("g", "b", 1, 2)]
    assert quotas.canonical_csv() == "feature,value,min,max\ng,a,1,2\ng,b,1,2\n"
    assert quotas.sha256 == Quotas.from_items([("g", "b", 1, 2), ("g", "a", 1, 2)]).sha256


@pytest.mark.parametrize(
    ("text", "row", "column", "value", "code"),
    [
        ("feature,value,min,max\ng,a,1,2\ng,b,x,2\n", 3, "min", "x", "not_a_number"),
        ("feature,value,min,max\ng,a,1,2.5\n", 2, "max", "2.5", "not_a_number"),
        ("feature,value,min,max\ng,a,3,2\n", 2, "min", 3, "min_above_max"),
        ("feature,value,min,max\ng,a,-1,2\n", 2, "min", "-1", "negative_quota"),
        ("feature,value,min,max\ng,a,1,2\ng,a,0,1\n", 3, "value", "a", "duplicate_quota"),
        ("feature,value,min,max\n,a,1,2\n", 2, "feature", None, "blank_feature"),
        ("what,ever,min,max\ng,a,1,2\n", 1, None, None, "bad_quota_header"),
        ("feature,value,min\ng,a,1\n", 1, "max", None, "missing_column"),
    ],
)
def test_bad_quotas_name_file_row_column_value(tmp_path, text, row, column, value, code):
    path = write(tmp_path, "quotas.csv", text)
    with pytest.raises(SortitionError) as info:
        load_quotas(path)
    err = info.value
    assert isinstance(err, ValueError)
    assert (err.file, err.row, err.column, err.value, err.code) == (str(path), row, column, value, code)
    message = str(err)
    assert str(path) in message and f"row {row}" in message
    if column is not None:
        assert repr(column) in message
    if value is not None:
        assert repr(str(value)) in message


@pytest.mark.parametrize(
    ("text", "row", "column", "value", "code"),
    [
        ("id,g\n1,a\n2,b\n1,a\n", 4, "id", "1", "duplicate_id"),
        ("id,g\n1,a\n ,b\n", 3, "id", None, "blank_id"),
        ("name,g\n1,a\n", 1, "id", None, "missing_column"),
    ],
)
def test_bad_pools_name_file_row_column_value(tmp_path, text, row, column, value, code):
    path = write(tmp_path, "pool.csv", text)
    with pytest.raises(SortitionError) as info:
        load_pool(path)
    err = info.value
    assert (err.file, err.row, err.column, err.value, err.code) == (str(path), row, column, value, code)
    assert f"{path}, row {row}, column {column!r}" in str(err)


def test_empty_pool_and_missing_file(tmp_path):
    with pytest.raises(SortitionError, match="empty") as info:
        load_pool(write(tmp_path, "pool.csv", "id,g\n"))
    assert info.value.code == "empty_pool" and info.value.file.endswith("pool.csv")
    with pytest.raises(SortitionError, match="no such file") as info:
        load_pool(tmp_path / "absent.csv")
    assert info.value.file.endswith("absent.csv")
    path = tmp_path / "latin1.csv"
    path.write_bytes("feature,value,min,max\ng,caf\xe9,1,2\n".encode("latin-1"))
    with pytest.raises(SortitionError, match="UTF-8") as info:
        load_quotas(path)
    assert info.value.file == str(path)


def test_pool_value_without_quota_is_located(tmp_path):
    pool = load_pool(write(tmp_path, "pool.csv", "id,gender,age\n7,f,young\n3,m,old\n5,x,old\n"))
    quotas = Quotas.from_items(
        [("gender", "f", 0, 2), ("gender", "m", 0, 2), ("age", "young", 0, 2), ("age", "old", 0, 2)]
    )
    with pytest.raises(SortitionError) as info:
        draw(pool, quotas, 2, seed=1)
    err = info.value
    assert (err.file, err.row, err.column, err.value, err.code) == (
        str(tmp_path / "pool.csv"),
        4,
        "gender",
        "x",
        "unknown_value",
    )
    assert "'f'" in err.message and "'m'" in err.message  # says which values are known


def test_feature_column_missing_from_pool(small):
    pool, quotas = small
    quotas = Quotas.from_items([*quotas.items(), ("income", "low", 0, 4)])
    with pytest.raises(SortitionError) as info:
        check_feasibility(pool, quotas, 4)
    assert (info.value.row, info.value.column, info.value.code) == (1, "income", "missing_feature_column")


@pytest.mark.parametrize(
    ("k", "code"),
    [(0, "bad_panel_size"), (13, "panel_larger_than_pool"), (2.5, "bad_panel_size"), (True, "bad_panel_size")],
)
def test_bad_panel_size(small, k, code):
    pool, quotas = small
    with pytest.raises(SortitionError) as info:
        draw(pool, quotas, k, seed=1)
    assert info.value.code == code
    assert info.value.value == k


def test_bad_method_and_options(small):
    pool, quotas = small
    with pytest.raises(SortitionError, match="unknown method"):
        draw(pool, quotas, 4, seed=1, method="random")
    with pytest.raises(SortitionError, match="alternates"):
        draw(pool, quotas, 4, seed=1, alternates=-1)
    with pytest.raises(SortitionError, match="lottery"):
        draw(pool, quotas, 4, seed=1, lottery_panels=0)


def test_canonical_pool_is_independent_of_row_and_column_order(small):
    pool, _ = small
    rows = [
        dict(zip(pool.features + ("id",), [*(pool.values[f][i] for f in pool.features), pid], strict=True))
        for i, pid in enumerate(pool.ids)
    ]
    random.Random(3).shuffle(rows)
    again = Pool.from_rows(rows, feature_columns=pool.features)
    assert again.ids == tuple(sorted(again.ids))
    assert again.canonical_csv() == pool.select(pool.features).canonical_csv()
    assert again.sha256 == pool.select(pool.features).sha256
    text = again.canonical_csv()
    assert text.startswith("id,gender,age,area\nx00,f,young,north\n") and "\r" not in text


def test_row_numbers_as_ids_semicolons_and_bom(tmp_path):
    path = tmp_path / "pool.csv"
    path.write_bytes("\ufeffGender;Leaning\nfemale;left\nmale;right\n".encode())
    pool = load_pool(path, id_column=None)
    assert pool.ids == ("1", "2")
    assert pool.features == ("Gender", "Leaning")
    assert pool.column("gender") == ("female", "male")  # feature names match ignoring case
    assert pool.rows == {"1": 2, "2": 3}
