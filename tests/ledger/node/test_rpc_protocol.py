"""JSON-RPC 2.0 envelope: error codes, batches, and input that must never crash the node."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.node.server import MAX_REQUEST_BYTES


@pytest.fixture
def post(running_node):
    client = httpx.Client(base_url=running_node.url, timeout=30)
    yield lambda body, **kw: client.post("/", content=body, **kw)
    client.close()


def _call(method: str, params: list | None = None, request_id: int = 1) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or []}


def test_parse_error(post) -> None:
    response = post(b"{not json")
    assert response.json()["error"]["code"] == -32700


@pytest.mark.parametrize(
    "request_body",
    [[], {"id": 1, "method": "eth_chainId"}, {"jsonrpc": "2.0", "id": 1, "method": 5}, "text"],
    ids=["empty-batch", "no-version", "method-not-string", "not-an-object"],
)
def test_invalid_request(post, request_body) -> None:
    response = post(json.dumps(request_body).encode())
    assert response.json()["error"]["code"] == -32600


def test_method_not_found_and_invalid_params(post) -> None:
    assert post(json.dumps(_call("eth_mine")).encode()).json()["error"]["code"] == -32601
    bad = post(json.dumps(_call("eth_getBalance", ["0x12", "latest"])).encode()).json()
    assert bad["error"]["code"] == -32602
    missing = post(json.dumps(_call("eth_getBalance", [])).encode()).json()
    assert missing["error"]["code"] == -32602
    raw = post(json.dumps(_call("eth_sendRawTransaction", ["0xdeadbeef"])).encode()).json()
    assert raw["error"]["code"] == -32000 and "invalid transaction" in raw["error"]["message"]


def test_batch_answers_each_call_and_skips_notifications(post) -> None:
    batch = [
        _call("eth_chainId", request_id=1),
        _call("nope", request_id=2),
        {"jsonrpc": "2.0", "method": "eth_blockNumber", "params": []},  # notification
        _call("eth_blockNumber", request_id=3),
    ]
    answers = {a["id"]: a for a in post(json.dumps(batch).encode()).json()}
    assert set(answers) == {1, 2, 3}
    assert answers[1]["result"] == "0x539"
    assert answers[2]["error"]["code"] == -32601
    assert answers[3]["result"] == "0x0"


def test_oversize_request_is_refused(post) -> None:
    response = post(b" " * (MAX_REQUEST_BYTES + 1))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == -32600


def test_unknown_block_and_transaction_read_as_null(post) -> None:
    calls = [
        _call("eth_getBlockByNumber", ["0x64", False], 1),
        _call("eth_getBlockByHash", ["0x" + "ab" * 32, False], 2),
        _call("eth_getTransactionReceipt", ["0x" + "cd" * 32], 3),
    ]
    answers = post(json.dumps(calls).encode()).json()
    assert [a["result"] for a in answers] == [None, None, None]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(
        [
            "eth_getBalance",
            "eth_call",
            "eth_getLogs",
            "eth_getProof",
            "eth_getBlockByNumber",
            "eth_sendRawTransaction",
            "eth_estimateGas",
            "eth_getStorageAt",
            "eth_feeHistory",
            "eth_newFilter",
            "eth_getFilterChanges",
            "debug_getRawHeader",
        ]
    ),
    params=st.lists(JSON_VALUES, max_size=4),
)
def test_arbitrary_params_get_an_answer_not_a_crash(post, method, params) -> None:
    answer = post(json.dumps(_call(method, params)).encode()).json()
    assert "result" in answer or answer["error"]["code"] in {-32602, -32000, 3}
    # The node still answers afterwards.
    assert post(json.dumps(_call("eth_chainId")).encode()).json()["result"] == "0x539"
