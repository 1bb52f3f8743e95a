// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

interface IPayoutToken {
    function balanceOf(address holder) external view returns (uint256);
}

/// Pays Lucid's monthly node-operator batches from its own token balance, each batch id once.
/// The same bytecode runs on the embedded EVM chain and on TRON (compiled for `paris`), where
/// USDT's `transfer` returns nothing useful: a line counts as paid when the recipient's balance
/// grew by exactly its amount, whatever `transfer` returned.
contract LucidPayoutRouter {
    bytes4 private constant TRANSFER = 0xa9059cbb; // transfer(address,uint256)

    address public immutable owner;
    address public immutable token;
    /// A KYC router (PRKYC) pays only recipients on its list; PR0 pays anyone.
    bool public immutable kycRequired;
    /// The wallet's address: the only sender of `payBatch`. Rotating the wallet key moves it.
    address public payer;
    uint256 public batchCap;
    mapping(bytes32 => bool) public paid;
    mapping(address => bool) public kyc;

    event Paid(bytes32 indexed batchId, address indexed recipient, uint256 amount, bytes32 reasons);
    event BatchPaid(bytes32 indexed batchId, uint256 total, uint256 count);
    event PayerSet(address indexed payer);
    event KycSet(address indexed recipient, bool allowed);
    event BatchCapSet(uint256 batchCap);

    constructor(address token_, address payer_, uint256 batchCap_, bool kycRequired_) {
        require(token_.code.length > 0, "token has no code");
        owner = msg.sender;
        token = token_;
        kycRequired = kycRequired_;
        payer = payer_;
        batchCap = batchCap_;
        emit PayerSet(payer_);
        emit BatchCapSet(batchCap_);
    }

    modifier onlyOwner() {
        require(msg.sender == owner, "only owner");
        _;
    }

    function setPayer(address payer_) external onlyOwner {
        payer = payer_;
        emit PayerSet(payer_);
    }

    function setKyc(address recipient, bool allowed) external onlyOwner {
        kyc[recipient] = allowed;
        emit KycSet(recipient, allowed);
    }

    function setBatchCap(uint256 batchCap_) external onlyOwner {
        batchCap = batchCap_;
        emit BatchCapSet(batchCap_);
    }

    /// Refuses a batch id it has paid, so a rebroadcast, a retry or a second transaction for the
    /// same statement can never pay twice; the whole batch reverts if any line fails.
    function payBatch(bytes32 batchId, address[] calldata recipients, uint256[] calldata amounts, bytes32[] calldata reasons) external {
        require(msg.sender == payer, "only payer");
        require(!paid[batchId], "batch already paid");
        uint256 count = recipients.length;
        require(count > 0, "empty batch");
        require(amounts.length == count && reasons.length == count, "length mismatch");
        uint256 total = 0;
        for (uint256 i = 0; i < count; i++) {
            require(amounts[i] > 0, "zero amount");
            require(!kycRequired || kyc[recipients[i]], "recipient not KYC");
            total += amounts[i];
        }
        require(total <= batchCap, "over batch cap");
        require(IPayoutToken(token).balanceOf(address(this)) >= total, "insufficient funds");
        // Marked before any token call: a token calling back into payBatch finds the batch paid.
        paid[batchId] = true;
        for (uint256 i = 0; i < count; i++) {
            pay(recipients[i], amounts[i]);
            emit Paid(batchId, recipients[i], amounts[i], reasons[i]);
        }
        emit BatchPaid(batchId, total, count);
    }

    /// A low-level call, its return data ignored, then the recipient's balance delta checked: the
    /// router itself as recipient would show no delta, so it is refused by the same check.
    function pay(address recipient, uint256 amount) private {
        uint256 before = IPayoutToken(token).balanceOf(recipient);
        (bool ok, ) = token.call(abi.encodeWithSelector(TRANSFER, recipient, amount));
        require(ok, "token transfer reverted");
        require(IPayoutToken(token).balanceOf(recipient) - before == amount, "token transfer did not pay");
    }
}
