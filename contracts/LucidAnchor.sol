// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

/// Anchors Lucid batch roots: each batch is a keccak256 Merkle tree (RFC 6962 shape) over
/// session leaves, and anyone with an EVM node can check a session's inclusion with
/// `verifyInclusion`, without Lucid.
contract LucidAnchor {
    struct Batch {
        bytes32 root;
        uint64 count;
        uint64 blockNumber;
        uint64 anchoredAt;
    }

    address public immutable owner;
    mapping(address => bool) public authorized;
    mapping(bytes32 => Batch) public batches;

    event Authorized(address indexed sender);
    event Anchored(bytes32 indexed batchId, bytes32 indexed root, uint64 count, uint64 anchoredAt);

    error NotOwner(address sender);
    error NotAuthorized(address sender);
    error AlreadyAnchored(bytes32 batchId, bytes32 root);
    // A zero root or an empty batch would read as "not anchored" and could never be proven.
    error EmptyBatch(bytes32 batchId);

    constructor() {
        owner = msg.sender;
        authorized[msg.sender] = true;
        emit Authorized(msg.sender);
    }

    function authorize(address sender) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        authorized[sender] = true;
        emit Authorized(sender);
    }

    /// Refuses a batch id already anchored, so a rebroadcast or a second transaction for the
    /// same batch can never anchor it twice.
    function anchor(bytes32 batchId, bytes32 root, uint64 count) external {
        if (!authorized[msg.sender]) revert NotAuthorized(msg.sender);
        if (root == bytes32(0) || count == 0) revert EmptyBatch(batchId);
        Batch storage b = batches[batchId];
        if (b.root != bytes32(0)) revert AlreadyAnchored(batchId, b.root);
        batches[batchId] = Batch(root, count, uint64(block.number), uint64(block.timestamp));
        emit Anchored(batchId, root, count, uint64(block.timestamp));
    }

    function rootOf(bytes32 batchId) external view returns (bytes32) {
        return batches[batchId].root;
    }

    /// Folds an RFC 6962 audit path (leaf to root; inner node keccak256(0x01 ‖ left ‖ right))
    /// for `leaf` at `index` and compares the result with the anchored root. The size must be
    /// the anchored count: with a size of its choosing a caller could pass an inner node off
    /// as a leaf.
    function verifyInclusion(bytes32 batchId, bytes32 leaf, uint256 index, uint256 size, bytes32[] calldata path)
        external
        view
        returns (bool)
    {
        Batch storage b = batches[batchId];
        if (b.root == bytes32(0) || size != b.count || index >= size) return false;
        uint256 fn = index;
        uint256 sn = size - 1;
        bytes32 r = leaf;
        for (uint256 i = 0; i < path.length; i++) {
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn) {
                r = keccak256(abi.encodePacked(bytes1(0x01), path[i], r));
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                r = keccak256(abi.encodePacked(bytes1(0x01), r, path[i]));
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && r == b.root;
    }
}
