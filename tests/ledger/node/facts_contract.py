"""A small storage-writing contract for the node tests, compiled for London.

Compiled with solc 0.8.28 (standard JSON, ``evmVersion: london``, optimizer on, 200 runs)
from this source::

    // SPDX-License-Identifier: Apache-2.0
    pragma solidity 0.8.28;

    contract Facts {
        mapping(bytes32 => uint256) public facts;
        uint256 public count;

        event Recorded(bytes32 indexed key, uint256 value, address indexed by);

        error NotPositive(uint256 value);

        function record(bytes32 key, uint256 value) external {
            if (value == 0) revert NotPositive(value);
            facts[key] = value;
            count += 1;
            emit Recorded(key, value, msg.sender);
        }

        function fail() external pure {
            revert("always fails");
        }
    }
"""

from __future__ import annotations

ABI = [
    {
        "inputs": [{"internalType": "uint256", "name": "value", "type": "uint256"}],
        "name": "NotPositive",
        "type": "error",
    },
    {
        "anonymous": False,
        "inputs": [
            {"indexed": True, "internalType": "bytes32", "name": "key", "type": "bytes32"},
            {"indexed": False, "internalType": "uint256", "name": "value", "type": "uint256"},
            {"indexed": True, "internalType": "address", "name": "by", "type": "address"},
        ],
        "name": "Recorded",
        "type": "event",
    },
    {
        "inputs": [],
        "name": "count",
        "outputs": [{"internalType": "uint256", "name": "", "type": "uint256"}],
        "stateMutability": "view",
        "type": "function",
    },
    {
        "inputs": [{"internalType": "bytes32", "name": "", "type": "bytes32"}],
        "name": "facts",
        "outputs": [{"internalType": "uint256", "name": "", "type": "uint256"}],
        "stateMutability": "view",
        "type": "function",
    },
    {"inputs": [], "name": "fail", "outputs": [], "stateMutability": "pure", "type": "function"},
    {
        "inputs": [
            {"internalType": "bytes32", "name": "key", "type": "bytes32"},
            {"internalType": "uint256", "name": "value", "type": "uint256"},
        ],
        "name": "record",
        "outputs": [],
        "stateMutability": "nonpayable",
        "type": "function",
    },
]

BYTECODE = (
    "0x6080604052348015600f57600080fd5b506102048061001f6000396000f3fe608060405234801561001057"
    "600080fd5b506004361061004c5760003560e01c806306661abd146100515780630f5bcc721461006c578063"
    "a9cc471814610081578063c0378e6214610089575b600080fd5b61005a60015481565b604051908152602001"
    "60405180910390f35b61007f61007a36600461016c565b6100a9565b005b61007f610135565b61005a610097"
    "36600461018e565b60006020819052908152604090205481565b806000036100d157604051629d36ff60e11b"
    "8152600481018290526024015b60405180910390fd5b60008281526020819052604081208290556001805490"
    "9182916100f59083906101a7565b9091555050604051818152339083907f849ac79d66ea7789ca4429e5ad6b"
    "da68f926e8764ad9a3ecb2bbad927aef65029060200160405180910390a35050565b60405162461bcd60e51b"
    "815260206004820152600c60248201526b616c77617973206661696c7360a01b60448201526064016100c856"
    "5b6000806040838503121561017f57600080fd5b50508035926020909101359150565b600060208284031215"
    "6101a057600080fd5b5035919050565b808201808211156101c857634e487b7160e01b600052601160045260"
    "246000fd5b9291505056fea26469706673582212203ca8a3ad022bfe712caf19172f2b2a0bfa5cb8e4b447dd"
    "1cddfbedc604334a8564736f6c634300081c0033"
)
