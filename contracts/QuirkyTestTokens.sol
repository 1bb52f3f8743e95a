// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import "./LucidTestToken.sol";

// TEST ONLY: tokens that misbehave the way real ones do, so the router's balance-delta check is
// tested against them. Never deployed outside the tests.

/// Mainnet USDT's `transfer`: it moves the amount and returns nothing.
contract NoReturnTestToken is TestTokenLedger {
    function transfer(address to, uint256 amount) external {
        move(msg.sender, to, amount);
    }
}

/// A token whose `transfer` says true and moves nothing.
contract LyingTestToken is TestTokenLedger {
    function transfer(address, uint256) external pure returns (bool) {
        return true;
    }
}
