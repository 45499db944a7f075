// roomgate mediasoup-shim: the libsrtp 3 API that mediasoup >= 3.13 is written against,
// implemented over Debian 12's libsrtp2 (2.5). See /work/shared/MEDIASOUP.md.
//
// Differences bridged (libsrtp 3 → libsrtp 2):
//  - srtp_protect/unprotect(_rtcp) take a const input buffer, a separate output buffer and
//    size_t lengths (plus an MKI index when protecting); libsrtp2 works in place on an int
//    length and needs room for the trailer after the packet.
//  - srtp_policy_t is an opaque object built with srtp_policy_create/set_*/add_key/destroy and
//    given to srtp_create(session, policy); libsrtp2 takes a plain struct whose `key` points to
//    key and salt in one contiguous buffer.
//  - srtp_stream_remove is libsrtp2's srtp_remove_stream.
//  - Two new status codes: srtp_err_status_buffer_small, srtp_err_status_cryptex_err.
//
// C++ only: the libsrtp 3 shaped functions are C++ overloads beside libsrtp2's C functions of
// the same name (different arity or parameter types), as the worker is C++.
// Not supported (the worker uses none): MKI, several keys per policy, cryptex.
#pragma once

#ifndef __cplusplus
#error "roomgate libsrtp3 shim: C++ only"
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

// libsrtp2's policy struct is renamed while its header is read, so that `srtp_policy_t` can be
// the libsrtp 3 opaque handle below. C linkage symbols are unaffected by the rename.
#define srtp_policy_t roomgate_srtp2_policy_t
#include <srtp2/srtp.h>
#undef srtp_policy_t

// libsrtp 3 status codes absent from libsrtp2 (values past libsrtp2's last, 27).
constexpr srtp_err_status_t srtp_err_status_buffer_small = static_cast<srtp_err_status_t>(28);
constexpr srtp_err_status_t srtp_err_status_cryptex_err  = static_cast<srtp_err_status_t>(29);

struct roomgate_srtp3_policy
{
	roomgate_srtp2_policy_t policy;      // libsrtp2 policy handed to srtp_create
	unsigned char key[SRTP_MAX_KEY_LEN]; // master key followed by master salt (libsrtp2 layout)
	bool hasProfile;
	bool hasKey;
};

// libsrtp 3: opaque policy handle.
typedef roomgate_srtp3_policy* srtp_policy_t;

namespace roomgate_srtp_shim
{
	// Wipe key material so it does not linger on the heap after the policy is destroyed.
	inline void SecureZero(void* data, size_t len)
	{
		volatile unsigned char* p = static_cast<volatile unsigned char*>(data);

		while (len--)
		{
			*p++ = 0;
		}
	}
} // namespace roomgate_srtp_shim

inline srtp_err_status_t srtp_policy_create(srtp_policy_t* policy)
{
	if (policy == nullptr)
	{
		return srtp_err_status_bad_param;
	}

	auto* created = new (std::nothrow) roomgate_srtp3_policy();

	if (created == nullptr)
	{
		return srtp_err_status_alloc_fail;
	}

	created->policy.key = created->key;
	*policy             = created;

	return srtp_err_status_ok;
}

inline void srtp_policy_destroy(srtp_policy_t policy)
{
	if (policy == nullptr)
	{
		return;
	}

	roomgate_srtp_shim::SecureZero(policy->key, sizeof(policy->key));
	delete policy;
}

inline srtp_err_status_t srtp_policy_set_ssrc(srtp_policy_t policy, srtp_ssrc_t ssrc)
{
	if (policy == nullptr)
	{
		return srtp_err_status_bad_param;
	}

	policy->policy.ssrc = ssrc;

	return srtp_err_status_ok;
}

// Same mapping as libsrtp2's own profile helpers: RFC 5764 4.1.2 (SRTCP of
// AES_CM_128_HMAC_SHA1_32 uses an 80-bit tag), RFC 7714 for the AEAD profiles.
inline srtp_err_status_t srtp_policy_set_profile(srtp_policy_t policy, srtp_profile_t profile)
{
	if (policy == nullptr)
	{
		return srtp_err_status_bad_param;
	}

	srtp_err_status_t err =
	  srtp_crypto_policy_set_from_profile_for_rtp(&policy->policy.rtp, profile);

	if (err != srtp_err_status_ok)
	{
		return err;
	}

	err = srtp_crypto_policy_set_from_profile_for_rtcp(&policy->policy.rtcp, profile);

	if (err != srtp_err_status_ok)
	{
		return err;
	}

	policy->hasProfile = true;

	return srtp_err_status_ok;
}

// libsrtp2 reads key and salt from one contiguous buffer of the cipher's "key with salt" length.
inline srtp_err_status_t srtp_policy_add_key(
  srtp_policy_t policy,
  const uint8_t* key,
  size_t keyLen,
  const uint8_t* salt,
  size_t saltLen,
  const uint8_t* /*mki*/,
  size_t mkiLen)
{
	if (policy == nullptr || key == nullptr || (salt == nullptr && saltLen != 0))
	{
		return srtp_err_status_bad_param;
	}

	// DEVIATION: single key without MKI only (libsrtp2's MKI API is not bridged).
	if (mkiLen != 0 || policy->hasKey)
	{
		return srtp_err_status_bad_param;
	}

	if (keyLen + saltLen > sizeof(policy->key))
	{
		return srtp_err_status_bad_param;
	}

	if (
	  policy->hasProfile &&
	  static_cast<size_t>(policy->policy.rtp.cipher_key_len) != keyLen + saltLen)
	{
		return srtp_err_status_bad_param;
	}

	std::memcpy(policy->key, key, keyLen);

	if (saltLen != 0)
	{
		std::memcpy(policy->key + keyLen, salt, saltLen);
	}

	policy->hasKey = true;

	return srtp_err_status_ok;
}

inline srtp_err_status_t srtp_policy_set_allow_repeat_tx(srtp_policy_t policy, bool allow)
{
	if (policy == nullptr)
	{
		return srtp_err_status_bad_param;
	}

	policy->policy.allow_repeat_tx = allow ? 1 : 0;

	return srtp_err_status_ok;
}

// libsrtp2 accepts replay windows of 64 to 0x7fff packets.
inline srtp_err_status_t srtp_policy_set_window_size(srtp_policy_t policy, size_t windowSize)
{
	if (policy == nullptr || windowSize < 64 || windowSize >= 0x8000)
	{
		return srtp_err_status_bad_param;
	}

	policy->policy.window_size = static_cast<unsigned long>(windowSize);

	return srtp_err_status_ok;
}

// libsrtp 3 srtp_create(session, policy); a null policy creates an empty session.
inline srtp_err_status_t srtp_create(srtp_t* session, srtp_policy_t policy)
{
	if (policy == nullptr)
	{
		return srtp_create(session, static_cast<const roomgate_srtp2_policy_t*>(nullptr));
	}

	if (!policy->hasProfile || !policy->hasKey)
	{
		return srtp_err_status_bad_param;
	}

	return srtp_create(session, static_cast<const roomgate_srtp2_policy_t*>(&policy->policy));
}

inline srtp_err_status_t srtp_stream_remove(srtp_t session, uint32_t ssrc)
{
	// Both take the SSRC in network byte order.
	return srtp_remove_stream(session, ssrc);
}

namespace roomgate_srtp_shim
{
	using InPlace = srtp_err_status_t (*)(srtp_t, void*, int*);

	// Copy `in` to `out` when they differ, then run libsrtp2's in-place operation on `out`.
	// `reserve` is the room libsrtp2 may write past the packet.
	inline srtp_err_status_t Run(
	  InPlace op,
	  srtp_t ctx,
	  const uint8_t* in,
	  size_t inLen,
	  uint8_t* out,
	  size_t* outLen,
	  size_t reserve)
	{
		if (in == nullptr || out == nullptr || outLen == nullptr)
		{
			return srtp_err_status_bad_param;
		}

		if (inLen > static_cast<size_t>(INT32_MAX) - reserve)
		{
			return srtp_err_status_bad_param;
		}

		if (*outLen < inLen + reserve)
		{
			return srtp_err_status_buffer_small;
		}

		if (out != in)
		{
			std::memmove(out, in, inLen);
		}

		int len                     = static_cast<int>(inLen);
		const srtp_err_status_t err = op(ctx, out, &len);

		if (err != srtp_err_status_ok)
		{
			return err;
		}

		*outLen = static_cast<size_t>(len);

		return srtp_err_status_ok;
	}

	inline srtp_err_status_t Protect(srtp_t ctx, void* hdr, int* len)
	{
		return ::srtp_protect(ctx, hdr, len);
	}
	inline srtp_err_status_t Unprotect(srtp_t ctx, void* hdr, int* len)
	{
		return ::srtp_unprotect(ctx, hdr, len);
	}
	inline srtp_err_status_t ProtectRtcp(srtp_t ctx, void* hdr, int* len)
	{
		return ::srtp_protect_rtcp(ctx, hdr, len);
	}
	inline srtp_err_status_t UnprotectRtcp(srtp_t ctx, void* hdr, int* len)
	{
		return ::srtp_unprotect_rtcp(ctx, hdr, len);
	}
} // namespace roomgate_srtp_shim

// DEVIATION: mki_index must be 0 (no MKI support in the shim).
inline srtp_err_status_t srtp_protect(
  srtp_t ctx, const uint8_t* rtp, size_t rtpLen, uint8_t* srtp, size_t* srtpLen, size_t mkiIndex)
{
	if (mkiIndex != 0)
	{
		return srtp_err_status_bad_mki;
	}

	return roomgate_srtp_shim::Run(
	  roomgate_srtp_shim::Protect, ctx, rtp, rtpLen, srtp, srtpLen, SRTP_MAX_TRAILER_LEN);
}

inline srtp_err_status_t srtp_unprotect(
  srtp_t ctx, const uint8_t* srtp, size_t srtpLen, uint8_t* rtp, size_t* rtpLen)
{
	return roomgate_srtp_shim::Run(roomgate_srtp_shim::Unprotect, ctx, srtp, srtpLen, rtp, rtpLen, 0);
}

// libsrtp2's srtp_protect_rtcp writes up to SRTP_MAX_TRAILER_LEN + 4 bytes (SRTCP index).
inline srtp_err_status_t srtp_protect_rtcp(
  srtp_t ctx, const uint8_t* rtcp, size_t rtcpLen, uint8_t* srtcp, size_t* srtcpLen, size_t mkiIndex)
{
	if (mkiIndex != 0)
	{
		return srtp_err_status_bad_mki;
	}

	return roomgate_srtp_shim::Run(
	  roomgate_srtp_shim::ProtectRtcp, ctx, rtcp, rtcpLen, srtcp, srtcpLen, SRTP_MAX_TRAILER_LEN + 4);
}

inline srtp_err_status_t srtp_unprotect_rtcp(
  srtp_t ctx, const uint8_t* srtcp, size_t srtcpLen, uint8_t* rtcp, size_t* rtcpLen)
{
	return roomgate_srtp_shim::Run(
	  roomgate_srtp_shim::UnprotectRtcp, ctx, srtcp, srtcpLen, rtcp, rtcpLen, 0);
}
