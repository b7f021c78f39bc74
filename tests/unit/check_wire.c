/* Unit tests for the Mobile IPv4 registration message codec (agent/wire.c). */
#include "config.h"
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "wire.h"

/*
 * Test vectors. Each one was written as the payload of a UDP datagram to
 * port 434 into a pcap (scapy) and decoded with TShark 4.0.17:
 *   tshark -r NAME.pcap -T fields -e mip.type -e mip.flags -e mip.life
 *     -e mip.homeaddr -e mip.haaddr -e mip.coa -e mip.code -e mip.ext.type
 *     -e mip.ext.auth.subtype -e mip.ext.len -e mip.auth.spi -e mip.auth.auth
 *     -e mip.nai -e _ws.expert.message
 * Empty fields are left out. All vectors share: Home Address 10.0.0.5, Home
 * Agent 10.0.0.1, care-of address 192.168.1.10, Identification
 * 0x0123456789abcdef and authenticators 0x10.., 0x20.., 0x30.., 0x40...
 */

/* tshark -r rrq_mn_ha.pcap -T fields (46 bytes):
 *   mip.type              1
 *   mip.flags             0x00
 *   mip.life              300
 *   mip.homeaddr          10.0.0.5
 *   mip.haaddr            10.0.0.1
 *   mip.coa               192.168.1.10
 *   mip.ext.type          32
 *   mip.ext.len           20
 *   mip.auth.spi          0x00000100
 *   mip.auth.auth         101112131415161718191a1b1c1d1e1f
 */
static const uint8_t rrq_mn_ha[] = {
	0x01, 0x00, 0x01, 0x2c, 0x0a, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x01,
	0xc0, 0xa8, 0x01, 0x0a, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x20, 0x14, 0x00, 0x00, 0x01, 0x00, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
	0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

/* tshark -r rrq_full.pcap -T fields (107 bytes):
 *   mip.type              1
 *   mip.flags             0x02
 *   mip.life              300
 *   mip.homeaddr          10.0.0.5
 *   mip.haaddr            10.0.0.1
 *   mip.coa               192.168.1.10
 *   mip.ext.type          131,32,33,34
 *   mip.ext.len           15,20,20,20
 *   mip.auth.spi          0x00000101,0x00000102,0x00000103
 *   mip.auth.auth         101112131415161718191a1b1c1d1e1f,
 *                         202122232425262728292a2b2c2d2e2f,
 *                         303132333435363738393a3b3c3d3e3f
 *   mip.nai               mn1@example.net
 */
static const uint8_t rrq_full[] = {
	0x01, 0x02, 0x01, 0x2c, 0x0a, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x01,
	0xc0, 0xa8, 0x01, 0x0a, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x83, 0x0f, 0x6d, 0x6e, 0x31, 0x40, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c,
	0x65, 0x2e, 0x6e, 0x65, 0x74, 0x20, 0x14, 0x00, 0x00, 0x01, 0x01, 0x10,
	0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c,
	0x1d, 0x1e, 0x1f, 0x21, 0x14, 0x00, 0x00, 0x01, 0x02, 0x20, 0x21, 0x22,
	0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e,
	0x2f, 0x22, 0x14, 0x00, 0x00, 0x01, 0x03, 0x30, 0x31, 0x32, 0x33, 0x34,
	0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
};

/* tshark -r rrq_mn_aaa.pcap -T fields (70 bytes):
 *   mip.type              1
 *   mip.flags             0x00
 *   mip.life              300
 *   mip.homeaddr          10.0.0.5
 *   mip.haaddr            10.0.0.1
 *   mip.coa               192.168.1.10
 *   mip.ext.type          32,36
 *   mip.ext.auth.subtype  1
 *   mip.ext.len           20,20
 *   mip.auth.spi          0x00000100,0x00000200
 *   mip.auth.auth         101112131415161718191a1b1c1d1e1f,
 *                         404142434445464748494a4b4c4d4e4f
 */
static const uint8_t rrq_mn_aaa[] = {
	0x01, 0x00, 0x01, 0x2c, 0x0a, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x01,
	0xc0, 0xa8, 0x01, 0x0a, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x20, 0x14, 0x00, 0x00, 0x01, 0x00, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
	0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x24, 0x01,
	0x00, 0x14, 0x00, 0x00, 0x02, 0x00, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45,
	0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
};

/* tshark -r rrp_133.pcap -T fields (42 bytes):
 *   mip.type              3
 *   mip.life              0
 *   mip.homeaddr          10.0.0.5
 *   mip.haaddr            10.0.0.1
 *   mip.code              133
 *   mip.ext.type          32
 *   mip.ext.len           20
 *   mip.auth.spi          0x00000100
 *   mip.auth.auth         101112131415161718191a1b1c1d1e1f
 */
static const uint8_t rrp_133[] = {
	0x03, 0x85, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x01,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x20, 0x14, 0x00, 0x00,
	0x01, 0x00, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
	0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

/* tshark -r rrq_pad.pcap -T fields (49 bytes):
 *   mip.type              1
 *   mip.flags             0x00
 *   mip.life              300
 *   mip.homeaddr          10.0.0.5
 *   mip.haaddr            10.0.0.1
 *   mip.coa               192.168.1.10
 *   mip.ext.type          0,32
 *   mip.ext.len           0,20
 *   mip.auth.spi          0x00000100
 *   mip.auth.auth         101112131415161718191a1b1c1d1e1f
 *   _ws.expert.message    Malformed Packet (Exception occurred)
 *   (Wireshark 4.0 does not implement one-byte padding: it reads the
 *    two pads as a type 0 TLV of length 0 and trips over the last pad.)
 */
static const uint8_t rrq_pad[] = {
	0x01, 0x00, 0x01, 0x2c, 0x0a, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x01,
	0xc0, 0xa8, 0x01, 0x0a, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x00, 0x00, 0x20, 0x14, 0x00, 0x00, 0x01, 0x00, 0x10, 0x11, 0x12, 0x13,
	0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	0x00,
};

/* tshark -r rrq_skip200.pcap -T fields (51 bytes):
 *   mip.type              1
 *   mip.flags             0x00
 *   mip.life              300
 *   mip.homeaddr          10.0.0.5
 *   mip.haaddr            10.0.0.1
 *   mip.coa               192.168.1.10
 *   mip.ext.type          200,32
 *   mip.ext.len           3,20
 *   mip.auth.spi          0x00000100
 *   mip.auth.auth         101112131415161718191a1b1c1d1e1f
 */
static const uint8_t rrq_skip200[] = {
	0x01, 0x00, 0x01, 0x2c, 0x0a, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x01,
	0xc0, 0xa8, 0x01, 0x0a, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0xc8, 0x03, 0xaa, 0xbb, 0xcc, 0x20, 0x14, 0x00, 0x00, 0x01, 0x00, 0x10,
	0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c,
	0x1d, 0x1e, 0x1f,
};

/* tshark -r rrq_unknown50.pcap -T fields (50 bytes):
 *   mip.type              1
 *   mip.flags             0x00
 *   mip.life              300
 *   mip.homeaddr          10.0.0.5
 *   mip.haaddr            10.0.0.1
 *   mip.coa               192.168.1.10
 *   mip.ext.type          32,50
 *   mip.ext.len           20,2
 *   mip.auth.spi          0x00000100
 *   mip.auth.auth         101112131415161718191a1b1c1d1e1f
 */
static const uint8_t rrq_unknown50[] = {
	0x01, 0x00, 0x01, 0x2c, 0x0a, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x01,
	0xc0, 0xa8, 0x01, 0x0a, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x20, 0x14, 0x00, 0x00, 0x01, 0x00, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
	0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x32, 0x02,
	0xaa, 0xbb,
};

/* tshark -r rrq_short.pcap -T fields (23 bytes):
 *   mip.type              1
 *   mip.flags             0x00
 *   mip.life              300
 *   mip.homeaddr          10.0.0.5
 *   mip.haaddr            10.0.0.1
 *   mip.coa               192.168.1.10
 *   _ws.expert.message    Malformed Packet (Exception occurred)
 */
static const uint8_t rrq_short[] = {
	0x01, 0x00, 0x01, 0x2c, 0x0a, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x01,
	0xc0, 0xa8, 0x01, 0x0a, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
};

/* tshark -r rrq_overrun.pcap -T fields (36 bytes):
 *   mip.type              1
 *   mip.flags             0x00
 *   mip.life              300
 *   mip.homeaddr          10.0.0.5
 *   mip.haaddr            10.0.0.1
 *   mip.coa               192.168.1.10
 *   _ws.expert.message    Malformed Packet (Exception occurred)
 */
static const uint8_t rrq_overrun[] = {
	0x01, 0x00, 0x01, 0x2c, 0x0a, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x01,
	0xc0, 0xa8, 0x01, 0x0a, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x20, 0x14, 0x00, 0x00, 0x01, 0x00, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
};

/* tshark -r rrq_auth_lt4.pcap -T fields (29 bytes):
 *   mip.type              1
 *   mip.flags             0x00
 *   mip.life              300
 *   mip.homeaddr          10.0.0.5
 *   mip.haaddr            10.0.0.1
 *   mip.coa               192.168.1.10
 *   mip.ext.type          32
 *   mip.ext.len           3
 *   _ws.expert.message    Malformed Packet (Exception occurred)
 */
static const uint8_t rrq_auth_lt4[] = {
	0x01, 0x00, 0x01, 0x2c, 0x0a, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x01,
	0xc0, 0xa8, 0x01, 0x0a, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x20, 0x03, 0x00, 0x00, 0x01,
};

/* tshark -r rrq_nai0.pcap -T fields (48 bytes):
 *   mip.type              1
 *   mip.flags             0x00
 *   mip.life              300
 *   mip.homeaddr          10.0.0.5
 *   mip.haaddr            10.0.0.1
 *   mip.coa               192.168.1.10
 *   mip.ext.type          131,32
 *   mip.ext.len           0,20
 *   mip.auth.spi          0x00000100
 *   mip.auth.auth         101112131415161718191a1b1c1d1e1f
 *   (Wireshark accepts the empty NAI; RFC 2794 needs at least one byte.)
 */
static const uint8_t rrq_nai0[] = {
	0x01, 0x00, 0x01, 0x2c, 0x0a, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x01,
	0xc0, 0xa8, 0x01, 0x0a, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x83, 0x00, 0x20, 0x14, 0x00, 0x00, 0x01, 0x00, 0x10, 0x11, 0x12, 0x13,
	0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

/* tshark -r rrq_gen_short.pcap -T fields (69 bytes):
 *   mip.type              1
 *   mip.flags             0x00
 *   mip.life              300
 *   mip.homeaddr          10.0.0.5
 *   mip.haaddr            10.0.0.1
 *   mip.coa               192.168.1.10
 *   mip.ext.type          32,36
 *   mip.ext.auth.subtype  1
 *   mip.ext.len           20,19
 *   mip.auth.spi          0x00000100,0x00000200
 *   mip.auth.auth         101112131415161718191a1b1c1d1e1f,
 *                         404142434445464748494a4b4c4d4e
 *   (Wireshark accepts Length 19; RFC 3012 §5 says it MUST be >= 20.)
 */
static const uint8_t rrq_gen_short[] = {
	0x01, 0x00, 0x01, 0x2c, 0x0a, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x01,
	0xc0, 0xa8, 0x01, 0x0a, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x20, 0x14, 0x00, 0x00, 0x01, 0x00, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
	0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x24, 0x01,
	0x00, 0x13, 0x00, 0x00, 0x02, 0x00, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45,
	0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e,
};

/* tshark -r rrq_gen_badsub.pcap -T fields (70 bytes):
 *   mip.type              1
 *   mip.flags             0x00
 *   mip.life              300
 *   mip.homeaddr          10.0.0.5
 *   mip.haaddr            10.0.0.1
 *   mip.coa               192.168.1.10
 *   mip.ext.type          32,36
 *   mip.ext.auth.subtype  2
 *   mip.ext.len           20,20
 *   mip.auth.spi          0x00000100,0x00000200
 *   mip.auth.auth         101112131415161718191a1b1c1d1e1f,
 *                         404142434445464748494a4b4c4d4e4f
 */
static const uint8_t rrq_gen_badsub[] = {
	0x01, 0x00, 0x01, 0x2c, 0x0a, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x01,
	0xc0, 0xa8, 0x01, 0x0a, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x20, 0x14, 0x00, 0x00, 0x01, 0x00, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
	0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x24, 0x02,
	0x00, 0x14, 0x00, 0x00, 0x02, 0x00, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45,
	0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
};

/* tshark -r rrq_two_faha.pcap -T fields (90 bytes):
 *   mip.type              1
 *   mip.flags             0x00
 *   mip.life              300
 *   mip.homeaddr          10.0.0.5
 *   mip.haaddr            10.0.0.1
 *   mip.coa               192.168.1.10
 *   mip.ext.type          32,34,34
 *   mip.ext.len           20,20,20
 *   mip.auth.spi          0x00000100,0x00000103,0x00000104
 *   mip.auth.auth         101112131415161718191a1b1c1d1e1f,
 *                         202122232425262728292a2b2c2d2e2f,
 *                         303132333435363738393a3b3c3d3e3f
 */
static const uint8_t rrq_two_faha[] = {
	0x01, 0x00, 0x01, 0x2c, 0x0a, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x01,
	0xc0, 0xa8, 0x01, 0x0a, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x20, 0x14, 0x00, 0x00, 0x01, 0x00, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
	0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x22, 0x14,
	0x00, 0x00, 0x01, 0x03, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
	0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x22, 0x14, 0x00, 0x00,
	0x01, 0x04, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39,
	0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
};

/* tshark -r rrq_flags_ff.pcap -T fields (46 bytes):
 *   mip.type              1
 *   mip.flags             0xff
 *   mip.life              300
 *   mip.homeaddr          10.0.0.5
 *   mip.haaddr            10.0.0.1
 *   mip.coa               192.168.1.10
 *   mip.ext.type          32
 *   mip.ext.len           20
 *   mip.auth.spi          0x00000100
 *   mip.auth.auth         101112131415161718191a1b1c1d1e1f
 *   mip.s                 1
 *   mip.b                 1
 *   mip.d                 1
 *   mip.m                 1
 *   mip.g                 1
 *   mip.v                 1
 *   mip.t                 1
 *   mip.x                 1
 */
static const uint8_t rrq_flags_ff[] = {
	0x01, 0xff, 0x01, 0x2c, 0x0a, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x01,
	0xc0, 0xa8, 0x01, 0x0a, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x20, 0x14, 0x00, 0x00, 0x01, 0x00, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
	0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

/* tshark -r rrp_short.pcap -T fields (19 bytes):
 *   mip.type              3
 *   mip.life              300
 *   mip.homeaddr          10.0.0.5
 *   mip.haaddr            10.0.0.1
 *   mip.code              0
 *   _ws.expert.message    Malformed Packet (Exception occurred)
 */
static const uint8_t rrp_short[] = {
	0x03, 0x00, 0x01, 0x2c, 0x0a, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x01,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
};
#define HOA 0x0a000005u
#define HA 0x0a000001u
#define COA 0xc0a8010au
#define ID 0x0123456789abcdefull
#define SPI_MN_HA 0x100u

/* A copy of @v cut to @n bytes in its own heap block, so that ASan reports
 * any read past the cut. */
static uint8_t *cut_copy(const uint8_t *v, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(c);
	memcpy(c, v, n);
	return c;
}

static void check_rrq_fixed(const struct mip_reg_request *r, uint8_t flags, uint16_t life)
{
	ck_assert_uint_eq(r->flags, flags);
	ck_assert_uint_eq(r->lifetime, life);
	ck_assert_uint_eq(ntohl(r->hoa.s_addr), HOA);
	ck_assert_uint_eq(ntohl(r->ha.s_addr), HA);
	ck_assert_uint_eq(ntohl(r->coa.s_addr), COA);
	ck_assert(r->id == ID);
}

/* Check one recorded authentication extension against the message @msg. */
static void check_auth(const struct mip_ext_auth *a, const uint8_t *msg, uint8_t type,
		       uint32_t spi, size_t start, uint8_t first)
{
	size_t hdr = type == MIP_EXT_GEN_AUTH ? 8 : 6;

	ck_assert(a->present);
	ck_assert_uint_eq(a->type, type);
	ck_assert_uint_eq(a->spi, spi);
	ck_assert_uint_eq(a->start, start);
	ck_assert_uint_eq(a->hdr_len, hdr);
	ck_assert_uint_eq(a->auth_len, 16);
	ck_assert_ptr_eq(a->authenticator, msg + start + hdr);
	ck_assert_uint_eq(a->authenticator[0], first);
	ck_assert_uint_eq(a->authenticator[15], first + 15);
}

static void check_no_auth(const struct mip_ext_auth *a)
{
	ck_assert(!a->present);
	ck_assert_ptr_null(a->authenticator);
}

/* ---- literal vectors ---- */

START_TEST(test_rrq_mn_ha)
{
	struct mip_reg_request r;

	ck_assert_int_eq(mip_parse_request(rrq_mn_ha, sizeof(rrq_mn_ha), &r), MIP_PARSE_OK);
	check_rrq_fixed(&r, 0, 300);
	ck_assert_uint_eq(r.len, sizeof(rrq_mn_ha));
	check_auth(&r.ext.mn_ha, rrq_mn_ha, MIP_EXT_MN_HA, SPI_MN_HA, 24, 0x10);
	ck_assert_uint_eq(r.ext.mn_ha.subtype, 0);
	ck_assert_uint_eq(r.ext.n_mn_ha, 1);
	check_no_auth(&r.ext.mn_fa);
	check_no_auth(&r.ext.fa_ha);
	check_no_auth(&r.ext.mn_aaa);
	ck_assert_uint_eq(r.ext.n_mn_fa + r.ext.n_fa_ha + r.ext.n_mn_aaa, 0);
	ck_assert_ptr_null(r.ext.nai);
	ck_assert_uint_eq(r.ext.nai_len, 0);
	ck_assert_uint_eq(r.ext.n_skipped, 0);
}
END_TEST

START_TEST(test_rrq_full)
{
	struct mip_reg_request r;

	ck_assert_int_eq(mip_parse_request(rrq_full, sizeof(rrq_full), &r), MIP_PARSE_OK);
	check_rrq_fixed(&r, MIP_RRQ_T, 300);
	ck_assert_uint_eq(r.ext.nai_len, 15);
	ck_assert_ptr_eq(r.ext.nai, rrq_full + 26);
	ck_assert_mem_eq(r.ext.nai, "mn1@example.net", 15);
	check_auth(&r.ext.mn_ha, rrq_full, MIP_EXT_MN_HA, 0x101, 41, 0x10);
	check_auth(&r.ext.mn_fa, rrq_full, MIP_EXT_MN_FA, 0x102, 63, 0x20);
	check_auth(&r.ext.fa_ha, rrq_full, MIP_EXT_FA_HA, 0x103, 85, 0x30);
	check_no_auth(&r.ext.mn_aaa);
	ck_assert_uint_eq(r.ext.n_mn_ha, 1);
	ck_assert_uint_eq(r.ext.n_mn_fa, 1);
	ck_assert_uint_eq(r.ext.n_fa_ha, 1);
	ck_assert_uint_eq(r.ext.n_mn_aaa, 0);
	ck_assert_uint_eq(r.ext.n_skipped, 0);
	ck_assert_uint_eq(r.len, 107);
}
END_TEST

START_TEST(test_rrq_mn_aaa)
{
	struct mip_reg_request r;

	ck_assert_int_eq(mip_parse_request(rrq_mn_aaa, sizeof(rrq_mn_aaa), &r), MIP_PARSE_OK);
	check_rrq_fixed(&r, 0, 300);
	check_auth(&r.ext.mn_ha, rrq_mn_aaa, MIP_EXT_MN_HA, SPI_MN_HA, 24, 0x10);
	check_auth(&r.ext.mn_aaa, rrq_mn_aaa, MIP_EXT_GEN_AUTH, 0x200, 46, 0x40);
	ck_assert_uint_eq(r.ext.mn_aaa.subtype, MIP_GEN_AUTH_MN_AAA);
	ck_assert_uint_eq(r.ext.n_mn_aaa, 1);
	ck_assert_uint_eq(r.ext.n_mn_ha, 1);
}
END_TEST

START_TEST(test_rrp_133)
{
	struct mip_reg_reply r;

	ck_assert_int_eq(mip_parse_reply(rrp_133, sizeof(rrp_133), &r), MIP_PARSE_OK);
	ck_assert_uint_eq(r.code, MIP_CODE_HA_ID_MISMATCH);
	ck_assert(!mip_code_accepted(r.code));
	ck_assert_uint_eq(r.lifetime, 0);
	ck_assert_uint_eq(ntohl(r.hoa.s_addr), HOA);
	ck_assert_uint_eq(ntohl(r.ha.s_addr), HA);
	ck_assert(r.id == ID);
	ck_assert_uint_eq(r.len, sizeof(rrp_133));
	check_auth(&r.ext.mn_ha, rrp_133, MIP_EXT_MN_HA, SPI_MN_HA, 20, 0x10);
	ck_assert_uint_eq(r.ext.n_mn_ha, 1);
}
END_TEST

START_TEST(test_rrq_pad)
{
	struct mip_reg_request r;

	ck_assert_int_eq(mip_parse_request(rrq_pad, sizeof(rrq_pad), &r), MIP_PARSE_OK);
	check_auth(&r.ext.mn_ha, rrq_pad, MIP_EXT_MN_HA, SPI_MN_HA, 26, 0x10);
	ck_assert_uint_eq(r.ext.n_mn_ha, 1);
	ck_assert_uint_eq(r.ext.n_skipped, 0);
	ck_assert_uint_eq(r.len, 49);
}
END_TEST

START_TEST(test_rrq_skip200)
{
	struct mip_reg_request r;

	ck_assert_int_eq(mip_parse_request(rrq_skip200, sizeof(rrq_skip200), &r), MIP_PARSE_OK);
	ck_assert_uint_eq(r.ext.n_skipped, 1);
	check_auth(&r.ext.mn_ha, rrq_skip200, MIP_EXT_MN_HA, SPI_MN_HA, 29, 0x10);
}
END_TEST

START_TEST(test_rrq_unknown50)
{
	struct mip_reg_request r;

	ck_assert_int_eq(mip_parse_request(rrq_unknown50, sizeof(rrq_unknown50), &r),
			 MIP_PARSE_UNKNOWN_EXT);
}
END_TEST

START_TEST(test_rrq_short)
{
	struct mip_reg_request r;
	struct mip_reg_reply p;

	ck_assert_int_eq(mip_parse_request(rrq_short, sizeof(rrq_short), &r), MIP_PARSE_SHORT);
	ck_assert_int_eq(mip_parse_request(NULL, 0, &r), MIP_PARSE_SHORT);
	/* wrong Type either way round */
	ck_assert_int_eq(mip_parse_request(rrp_133, sizeof(rrp_133), &r), MIP_PARSE_SHORT);
	ck_assert_int_eq(mip_parse_reply(rrq_mn_ha, sizeof(rrq_mn_ha), &p), MIP_PARSE_SHORT);
}
END_TEST

START_TEST(test_rrp_short)
{
	struct mip_reg_reply p;

	ck_assert_int_eq(mip_parse_reply(rrp_short, sizeof(rrp_short), &p), MIP_PARSE_SHORT);
	/* exactly the fixed part, no extensions: fine for the codec */
	ck_assert_int_eq(mip_parse_reply(rrp_133, MIP_RRP_FIXED_LEN, &p), MIP_PARSE_OK);
	ck_assert_uint_eq(p.len, MIP_RRP_FIXED_LEN);
	check_no_auth(&p.ext.mn_ha);
}
END_TEST

START_TEST(test_rrq_overrun)
{
	struct mip_reg_request r;

	ck_assert_int_eq(mip_parse_request(rrq_overrun, sizeof(rrq_overrun), &r),
			 MIP_PARSE_MALFORMED);
}
END_TEST

START_TEST(test_rrq_auth_lt4)
{
	struct mip_reg_request r;
	uint8_t m[MIP_RRQ_FIXED_LEN + 6];

	ck_assert_int_eq(mip_parse_request(rrq_auth_lt4, sizeof(rrq_auth_lt4), &r),
			 MIP_PARSE_MALFORMED);
	/* Length 4: an SPI and an empty authenticator is well formed */
	memcpy(m, rrq_mn_ha, MIP_RRQ_FIXED_LEN);
	memcpy(m + MIP_RRQ_FIXED_LEN, "\x21\x04\x00\x00\x01\x05", 6);
	ck_assert_int_eq(mip_parse_request(m, sizeof(m), &r), MIP_PARSE_OK);
	ck_assert(r.ext.mn_fa.present);
	ck_assert_uint_eq(r.ext.mn_fa.spi, 0x105);
	ck_assert_uint_eq(r.ext.mn_fa.auth_len, 0);
	ck_assert_ptr_eq(r.ext.mn_fa.authenticator, m + sizeof(m));
}
END_TEST

START_TEST(test_rrq_nai0)
{
	struct mip_reg_request r;

	ck_assert_int_eq(mip_parse_request(rrq_nai0, sizeof(rrq_nai0), &r), MIP_PARSE_MALFORMED);
}
END_TEST

START_TEST(test_rrq_gen_short)
{
	struct mip_reg_request r;

	ck_assert_int_eq(mip_parse_request(rrq_gen_short, sizeof(rrq_gen_short), &r),
			 MIP_PARSE_MALFORMED);
}
END_TEST

START_TEST(test_rrq_gen_badsub)
{
	struct mip_reg_request r;

	ck_assert_int_eq(mip_parse_request(rrq_gen_badsub, sizeof(rrq_gen_badsub), &r),
			 MIP_PARSE_UNKNOWN_EXT);
}
END_TEST

START_TEST(test_rrq_two_faha)
{
	struct mip_reg_request r;

	ck_assert_int_eq(mip_parse_request(rrq_two_faha, sizeof(rrq_two_faha), &r), MIP_PARSE_OK);
	ck_assert_uint_eq(r.ext.n_fa_ha, 2);
	/* the first one is kept */
	check_auth(&r.ext.fa_ha, rrq_two_faha, MIP_EXT_FA_HA, 0x103, 46, 0x20);
	ck_assert_uint_eq(r.ext.n_mn_ha, 1);
}
END_TEST

START_TEST(test_rrq_flags_ff)
{
	struct mip_reg_request r;

	ck_assert_int_eq(mip_parse_request(rrq_flags_ff, sizeof(rrq_flags_ff), &r), MIP_PARSE_OK);
	check_rrq_fixed(&r, 0xff, 300);
	ck_assert_uint_eq(MIP_RRQ_S | MIP_RRQ_B | MIP_RRQ_D | MIP_RRQ_M | MIP_RRQ_G | MIP_RRQ_r |
			  MIP_RRQ_T | MIP_RRQ_x, 0xff);
}
END_TEST

/* Each flag bit on its own, on the wire and back (loop test, _i = bit). */
START_TEST(test_flag_bit)
{
	static const uint8_t bits[8] = {
		MIP_RRQ_S, MIP_RRQ_B, MIP_RRQ_D, MIP_RRQ_M,
		MIP_RRQ_G, MIP_RRQ_r, MIP_RRQ_T, MIP_RRQ_x,
	};
	struct mip_reg_request r, q;
	uint8_t m[sizeof(rrq_mn_ha)];
	struct mip_buf b;

	ck_assert_uint_eq(bits[_i], 0x80 >> _i);
	memcpy(m, rrq_mn_ha, sizeof(m));
	m[1] = bits[_i];
	ck_assert_int_eq(mip_parse_request(m, sizeof(m), &r), MIP_PARSE_OK);
	ck_assert_uint_eq(r.flags, bits[_i]);
	ck_assert_int_eq(mip_buf_init(&b, 0), 0);
	mip_build_request(&b, &r);
	ck_assert(mip_buf_ok(&b));
	ck_assert_mem_eq(b.data, m, MIP_RRQ_FIXED_LEN);
	ck_assert_int_eq(mip_parse_request(b.data, b.len, &q), MIP_PARSE_OK);
	ck_assert_uint_eq(q.flags, bits[_i]);
	mip_buf_free(&b);
}
END_TEST

/* ---- scan order and edge cases ---- */

static enum mip_parse_result parse_tail(const uint8_t *ext, size_t n)
{
	struct mip_reg_request r;
	uint8_t *m = malloc(MIP_RRQ_FIXED_LEN + n);
	enum mip_parse_result res;

	ck_assert_ptr_nonnull(m);
	memcpy(m, rrq_mn_ha, MIP_RRQ_FIXED_LEN);
	memcpy(m + MIP_RRQ_FIXED_LEN, ext, n);
	res = mip_parse_request(m, MIP_RRQ_FIXED_LEN + n, &r);
	free(m);
	return res;
}

START_TEST(test_first_problem_wins)
{
	/* unknown 50, then an auth extension with Length < 4 */
	ck_assert_int_eq(parse_tail((const uint8_t *)"\x32\x00\x20\x02\x00\x00", 6),
			 MIP_PARSE_UNKNOWN_EXT);
	/* the same two the other way round */
	ck_assert_int_eq(parse_tail((const uint8_t *)"\x20\x02\x00\x00\x32\x00", 6),
			 MIP_PARSE_MALFORMED);
	/* unknown 50, then an extension overrunning the end */
	ck_assert_int_eq(parse_tail((const uint8_t *)"\x32\x00\xc8\x09", 4), MIP_PARSE_UNKNOWN_EXT);
}
END_TEST

START_TEST(test_header_cuts)
{
	/* an unknown non-skippable Type needs no Length byte */
	ck_assert_int_eq(parse_tail((const uint8_t *)"\x32", 1), MIP_PARSE_UNKNOWN_EXT);
	ck_assert_int_eq(parse_tail((const uint8_t *)"\x7f", 1), MIP_PARSE_UNKNOWN_EXT);
	ck_assert_int_eq(parse_tail((const uint8_t *)"\x01", 1), MIP_PARSE_UNKNOWN_EXT);
	/* skippable types need their Length and data */
	ck_assert_int_eq(parse_tail((const uint8_t *)"\x80", 1), MIP_PARSE_MALFORMED);
	ck_assert_int_eq(parse_tail((const uint8_t *)"\xff\x02\x00", 3), MIP_PARSE_MALFORMED);
	ck_assert_int_eq(parse_tail((const uint8_t *)"\xff\x00", 2), MIP_PARSE_OK);
	ck_assert_int_eq(parse_tail((const uint8_t *)"\x83", 1), MIP_PARSE_MALFORMED);
	ck_assert_int_eq(parse_tail((const uint8_t *)"\x83\x02\x61", 3), MIP_PARSE_MALFORMED);
	ck_assert_int_eq(parse_tail((const uint8_t *)"\x20", 1), MIP_PARSE_MALFORMED);
	/* type 36: Subtype first, then the 16-bit Length */
	ck_assert_int_eq(parse_tail((const uint8_t *)"\x24", 1), MIP_PARSE_MALFORMED);
	ck_assert_int_eq(parse_tail((const uint8_t *)"\x24\x02", 2), MIP_PARSE_UNKNOWN_EXT);
	ck_assert_int_eq(parse_tail((const uint8_t *)"\x24\x01\x00", 3), MIP_PARSE_MALFORMED);
	ck_assert_int_eq(parse_tail((const uint8_t *)"\x24\x01\xff\xff\x00\x00", 6),
			 MIP_PARSE_MALFORMED);
	/* padding only */
	ck_assert_int_eq(parse_tail((const uint8_t *)"\x00\x00\x00", 3), MIP_PARSE_OK);
}
END_TEST

START_TEST(test_skipped_counted)
{
	struct mip_reg_request r;
	static const uint8_t m[] = {
		0x01, 0x00, 0x01, 0x2c, 0x0a, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x01,
		0xc0, 0xa8, 0x01, 0x0a, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0x80, 0x00, 0xff, 0x01, 0x00, 0x83, 0x01, 0x61, 0x83, 0x01, 0x62,
	};

	ck_assert_int_eq(mip_parse_request(m, sizeof(m), &r), MIP_PARSE_OK);
	ck_assert_uint_eq(r.ext.n_skipped, 2);
	/* the first NAI is kept */
	ck_assert_ptr_eq(r.ext.nai, m + 31);
	ck_assert_uint_eq(r.ext.nai_len, 1);
}
END_TEST

/* Every cut of a valid message: SHORT inside the fixed part, OK exactly at
 * an extension boundary, MALFORMED anywhere inside an extension. */
static void check_cuts(const uint8_t *v, size_t len, bool reply, const size_t *bounds)
{
	size_t fixed = reply ? MIP_RRP_FIXED_LEN : MIP_RRQ_FIXED_LEN;
	size_t n, bi = 0;

	for (n = 0; n <= len; n++) {
		uint8_t *c = cut_copy(v, n);
		struct mip_reg_request rq;
		struct mip_reg_reply rp;
		enum mip_parse_result res, want;

		res = reply ? mip_parse_reply(c, n, &rp) : mip_parse_request(c, n, &rq);
		free(c);
		if (bounds[bi] < n)
			bi++;
		if (n < fixed)
			want = MIP_PARSE_SHORT;
		else
			want = n == bounds[bi] ? MIP_PARSE_OK : MIP_PARSE_MALFORMED;
		ck_assert_msg(res == want, "cut at %zu of %zu: got %d, want %d", n, len,
			      (int)res, (int)want);
	}
	ck_assert_uint_eq(bounds[bi], len);
}

START_TEST(test_truncations)
{
	static const size_t b_mn_ha[] = { 24, 46 };
	static const size_t b_full[] = { 24, 41, 63, 85, 107 };
	static const size_t b_mn_aaa[] = { 24, 46, 70 };
	static const size_t b_pad[] = { 24, 25, 26, 48, 49 };
	static const size_t b_skip[] = { 24, 29, 51 };
	static const size_t b_two[] = { 24, 46, 68, 90 };
	static const size_t b_rrp[] = { 20, 42 };

	check_cuts(rrq_mn_ha, sizeof(rrq_mn_ha), false, b_mn_ha);
	check_cuts(rrq_full, sizeof(rrq_full), false, b_full);
	check_cuts(rrq_mn_aaa, sizeof(rrq_mn_aaa), false, b_mn_aaa);
	check_cuts(rrq_pad, sizeof(rrq_pad), false, b_pad);
	check_cuts(rrq_skip200, sizeof(rrq_skip200), false, b_skip);
	check_cuts(rrq_two_faha, sizeof(rrq_two_faha), false, b_two);
	check_cuts(rrp_133, sizeof(rrp_133), true, b_rrp);
}
END_TEST

/* ---- builders ---- */

static void fill_auth(struct mip_buf *b, size_t start, size_t hdr, uint8_t first)
{
	size_t i;

	for (i = 0; i < 16; i++)
		b->data[start + hdr + i] = (uint8_t)(first + i);
}

static void set_rrq(struct mip_reg_request *r, uint8_t flags)
{
	memset(r, 0, sizeof(*r));
	r->flags = flags;
	r->lifetime = 300;
	r->hoa.s_addr = htonl(HOA);
	r->ha.s_addr = htonl(HA);
	r->coa.s_addr = htonl(COA);
	r->id = ID;
}

START_TEST(test_build_rrq_mn_ha)
{
	struct mip_reg_request r, q;
	struct mip_buf b;
	size_t off;

	set_rrq(&r, 0);
	ck_assert_int_eq(mip_buf_init(&b, 16), 0);
	mip_build_request(&b, &r);
	off = mip_build_auth_ext(&b, MIP_EXT_MN_HA, 0, SPI_MN_HA, 16);
	ck_assert_uint_eq(off, MIP_RRQ_FIXED_LEN);
	ck_assert(mip_buf_ok(&b));
	fill_auth(&b, off, 6, 0x10);
	ck_assert_uint_eq(b.len, sizeof(rrq_mn_ha));
	ck_assert_mem_eq(b.data, rrq_mn_ha, sizeof(rrq_mn_ha));
	ck_assert_int_eq(mip_parse_request(b.data, b.len, &q), MIP_PARSE_OK);
	check_rrq_fixed(&q, 0, 300);
	mip_buf_free(&b);
}
END_TEST

START_TEST(test_build_rrq_full)
{
	struct mip_reg_request r, q;
	struct mip_buf b;
	size_t o1, o2, o3;

	set_rrq(&r, MIP_RRQ_T);
	ck_assert_int_eq(mip_buf_init(&b, 0), 0);
	mip_build_request(&b, &r);
	mip_build_nai(&b, (const uint8_t *)"mn1@example.net", 15);
	o1 = mip_build_auth_ext(&b, MIP_EXT_MN_HA, 0, 0x101, 16);
	o2 = mip_build_auth_ext(&b, MIP_EXT_MN_FA, 0, 0x102, 16);
	o3 = mip_build_auth_ext(&b, MIP_EXT_FA_HA, 0, 0x103, 16);
	ck_assert(mip_buf_ok(&b));
	fill_auth(&b, o1, 6, 0x10);
	fill_auth(&b, o2, 6, 0x20);
	fill_auth(&b, o3, 6, 0x30);
	ck_assert_uint_eq(b.len, sizeof(rrq_full));
	ck_assert_mem_eq(b.data, rrq_full, sizeof(rrq_full));
	ck_assert_int_eq(mip_parse_request(b.data, b.len, &q), MIP_PARSE_OK);
	check_rrq_fixed(&q, MIP_RRQ_T, 300);
	ck_assert_uint_eq(q.ext.mn_ha.start, o1);
	ck_assert_uint_eq(q.ext.mn_fa.start, o2);
	ck_assert_uint_eq(q.ext.fa_ha.start, o3);
	mip_buf_free(&b);
}
END_TEST

START_TEST(test_build_mn_aaa)
{
	struct mip_reg_request r, q;
	struct mip_buf b;
	size_t o1, o2;

	set_rrq(&r, 0);
	ck_assert_int_eq(mip_buf_init(&b, 0), 0);
	mip_build_request(&b, &r);
	o1 = mip_build_auth_ext(&b, MIP_EXT_MN_HA, 0, SPI_MN_HA, 16);
	o2 = mip_build_auth_ext(&b, MIP_EXT_GEN_AUTH, MIP_GEN_AUTH_MN_AAA, 0x200, 16);
	ck_assert_uint_eq(o2, 46);
	fill_auth(&b, o1, 6, 0x10);
	fill_auth(&b, o2, 8, 0x40);
	ck_assert(mip_buf_ok(&b));
	ck_assert_mem_eq(b.data, rrq_mn_aaa, sizeof(rrq_mn_aaa));
	ck_assert_int_eq(mip_parse_request(b.data, b.len, &q), MIP_PARSE_OK);
	check_auth(&q.ext.mn_aaa, b.data, MIP_EXT_GEN_AUTH, 0x200, 46, 0x40);
	mip_buf_free(&b);
}
END_TEST

START_TEST(test_build_rrp_133)
{
	struct mip_reg_reply r, q;
	struct mip_buf b;
	size_t off;

	memset(&r, 0, sizeof(r));
	r.code = MIP_CODE_HA_ID_MISMATCH;
	r.lifetime = 0;
	r.hoa.s_addr = htonl(HOA);
	r.ha.s_addr = htonl(HA);
	r.id = ID;
	ck_assert_int_eq(mip_buf_init(&b, 0), 0);
	mip_build_reply(&b, &r);
	off = mip_build_auth_ext(&b, MIP_EXT_MN_HA, 0, SPI_MN_HA, 16);
	fill_auth(&b, off, 6, 0x10);
	ck_assert(mip_buf_ok(&b));
	ck_assert_mem_eq(b.data, rrp_133, sizeof(rrp_133));
	ck_assert_int_eq(mip_parse_reply(b.data, b.len, &q), MIP_PARSE_OK);
	ck_assert_uint_eq(q.code, r.code);
	ck_assert_uint_eq(q.lifetime, r.lifetime);
	ck_assert_uint_eq(q.hoa.s_addr, r.hoa.s_addr);
	ck_assert_uint_eq(q.ha.s_addr, r.ha.s_addr);
	ck_assert(q.id == r.id);
	mip_buf_free(&b);
}
END_TEST

/* Build -> parse -> same fields, with values that exercise every byte. */
START_TEST(test_roundtrip_request)
{
	struct mip_reg_request r, q;
	struct mip_buf b;

	set_rrq(&r, MIP_RRQ_S | MIP_RRQ_D | MIP_RRQ_G | MIP_RRQ_T);
	r.lifetime = 0xfffe;
	r.hoa.s_addr = htonl(0x01020304);
	r.ha.s_addr = htonl(0xfefdfcfb);
	r.coa.s_addr = htonl(0x7f000001);
	r.id = 0xfedcba9876543210ull;
	ck_assert_int_eq(mip_buf_init(&b, 0), 0);
	mip_build_request(&b, &r);
	mip_build_pad(&b, 3);
	mip_build_nai(&b, (const uint8_t *)"x", 1);
	mip_build_auth_ext(&b, MIP_EXT_MN_HA, 0, 0xdeadbeef, 0);
	mip_build_auth_ext(&b, MIP_EXT_FA_HA, 0, 0x01020304, 251);
	ck_assert(mip_buf_ok(&b));
	ck_assert_uint_eq(b.len, 24 + 3 + 3 + 6 + 257);
	ck_assert_int_eq(mip_parse_request(b.data, b.len, &q), MIP_PARSE_OK);
	ck_assert_uint_eq(q.flags, r.flags);
	ck_assert_uint_eq(q.lifetime, r.lifetime);
	ck_assert_uint_eq(q.hoa.s_addr, r.hoa.s_addr);
	ck_assert_uint_eq(q.ha.s_addr, r.ha.s_addr);
	ck_assert_uint_eq(q.coa.s_addr, r.coa.s_addr);
	ck_assert(q.id == r.id);
	ck_assert_uint_eq(q.len, b.len);
	ck_assert_uint_eq(q.ext.nai_len, 1);
	ck_assert_uint_eq(q.ext.mn_ha.spi, 0xdeadbeef);
	ck_assert_uint_eq(q.ext.mn_ha.auth_len, 0);
	ck_assert_uint_eq(q.ext.fa_ha.spi, 0x01020304);
	ck_assert_uint_eq(q.ext.fa_ha.auth_len, 251);
	ck_assert_uint_eq(q.ext.fa_ha.start, 36);
	mip_buf_free(&b);
}
END_TEST

START_TEST(test_roundtrip_reply)
{
	struct mip_reg_reply r, q;
	struct mip_buf b;
	size_t off;

	memset(&r, 0, sizeof(r));
	r.code = MIP_CODE_ACCEPTED_NO_SIMUL;
	r.lifetime = 0xffff;
	r.hoa.s_addr = htonl(0x80000001);
	r.ha.s_addr = htonl(0x00ff00ff);
	r.id = 0x8000000000000001ull;
	ck_assert_int_eq(mip_buf_init(&b, 0), 0);
	mip_build_reply(&b, &r);
	off = mip_build_auth_ext(&b, MIP_EXT_GEN_AUTH, MIP_GEN_AUTH_MN_AAA, 7, 300);
	ck_assert(mip_buf_ok(&b));
	ck_assert_uint_eq(off, MIP_RRP_FIXED_LEN);
	ck_assert_int_eq(mip_parse_reply(b.data, b.len, &q), MIP_PARSE_OK);
	ck_assert(mip_code_accepted(q.code));
	ck_assert_uint_eq(q.code, r.code);
	ck_assert_uint_eq(q.lifetime, r.lifetime);
	ck_assert_uint_eq(q.hoa.s_addr, r.hoa.s_addr);
	ck_assert_uint_eq(q.ha.s_addr, r.ha.s_addr);
	ck_assert(q.id == r.id);
	ck_assert_uint_eq(q.ext.mn_aaa.auth_len, 300);
	ck_assert_uint_eq(q.ext.mn_aaa.spi, 7);
	ck_assert_uint_eq(q.ext.mn_aaa.hdr_len, 8);
	mip_buf_free(&b);
}
END_TEST

START_TEST(test_build_errors)
{
	struct mip_buf b;

	ck_assert_int_eq(mip_buf_init(&b, 0), 0);
	ck_assert_uint_eq(mip_build_auth_ext(&b, MIP_EXT_MN_HA, 0, 1, 252), (size_t)-1);
	ck_assert(!mip_buf_ok(&b));
	mip_buf_reset(&b);
	ck_assert_uint_eq(mip_build_auth_ext(&b, MIP_EXT_MN_FA, 0, 1, 251), 0);
	ck_assert_uint_eq(b.len, 257);
	ck_assert_uint_eq(b.data[1], 255);
	mip_buf_reset(&b);
	ck_assert_uint_eq(mip_build_auth_ext(&b, MIP_EXT_GEN_AUTH, 1, 1, 15), (size_t)-1);
	mip_buf_reset(&b);
	ck_assert_uint_eq(mip_build_auth_ext(&b, MIP_EXT_GEN_AUTH, 1, 1, 65532), (size_t)-1);
	mip_buf_reset(&b);
	ck_assert_uint_eq(mip_build_auth_ext(&b, 35, 0, 1, 16), (size_t)-1);
	/* the buffer is already in error */
	ck_assert_uint_eq(mip_build_auth_ext(&b, MIP_EXT_MN_HA, 0, 1, 16), (size_t)-1);
	/* no room under the buffer's limit */
	mip_buf_reset(&b);
	b.max = 30;
	mip_build_pad(&b, 10);
	ck_assert_uint_eq(mip_build_auth_ext(&b, MIP_EXT_MN_HA, 0, 1, 16), (size_t)-1);
	ck_assert(!mip_buf_ok(&b));
	mip_buf_free(&b);
}
END_TEST

START_TEST(test_build_nai_pad)
{
	static const uint8_t nai[256] = { 'a' };
	struct mip_buf b;

	ck_assert_int_eq(mip_buf_init(&b, 0), 0);
	mip_build_pad(&b, 0);
	ck_assert_uint_eq(b.len, 0);
	mip_build_pad(&b, 2);
	mip_build_nai(&b, nai, 255);
	ck_assert(mip_buf_ok(&b));
	ck_assert_uint_eq(b.len, 2 + 2 + 255);
	ck_assert_mem_eq(b.data, "\x00\x00\x83\xff\x61", 5);
	mip_build_nai(&b, nai, 256);
	ck_assert(!mip_buf_ok(&b));
	mip_buf_reset(&b);
	mip_build_nai(&b, nai, 0);
	ck_assert(!mip_buf_ok(&b));
	mip_buf_free(&b);
}
END_TEST

START_TEST(test_code_str)
{
	static const unsigned known[] = {
		0, 1, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81,
		82, 88, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139,
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		ck_assert_str_ne(mip_code_str(known[i]), "unknown");
	ck_assert_str_eq(mip_code_str(0), "registration accepted");
	ck_assert_str_eq(mip_code_str(133), "registration identification mismatch");
	ck_assert_str_eq(mip_code_str(67), "mobile node failed authentication");
	ck_assert_str_eq(mip_code_str(2), "unknown");
	ck_assert_str_eq(mip_code_str(194), "unknown");
	ck_assert_str_eq(mip_code_str(256 + 133), "unknown");
	ck_assert(mip_code_accepted(0) && mip_code_accepted(1) && !mip_code_accepted(64));
}
END_TEST

static Suite *wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *vec = tcase_create("vectors");
	TCase *scan = tcase_create("scan");
	TCase *build = tcase_create("build");

	tcase_add_test(vec, test_rrq_mn_ha);
	tcase_add_test(vec, test_rrq_full);
	tcase_add_test(vec, test_rrq_mn_aaa);
	tcase_add_test(vec, test_rrp_133);
	tcase_add_test(vec, test_rrq_pad);
	tcase_add_test(vec, test_rrq_skip200);
	tcase_add_test(vec, test_rrq_unknown50);
	tcase_add_test(vec, test_rrq_short);
	tcase_add_test(vec, test_rrp_short);
	tcase_add_test(vec, test_rrq_overrun);
	tcase_add_test(vec, test_rrq_auth_lt4);
	tcase_add_test(vec, test_rrq_nai0);
	tcase_add_test(vec, test_rrq_gen_short);
	tcase_add_test(vec, test_rrq_gen_badsub);
	tcase_add_test(vec, test_rrq_two_faha);
	tcase_add_test(vec, test_rrq_flags_ff);
	tcase_add_loop_test(vec, test_flag_bit, 0, 8);
	suite_add_tcase(s, vec);

	tcase_add_test(scan, test_first_problem_wins);
	tcase_add_test(scan, test_header_cuts);
	tcase_add_test(scan, test_skipped_counted);
	tcase_add_test(scan, test_truncations);
	suite_add_tcase(s, scan);

	tcase_add_test(build, test_build_rrq_mn_ha);
	tcase_add_test(build, test_build_rrq_full);
	tcase_add_test(build, test_build_mn_aaa);
	tcase_add_test(build, test_build_rrp_133);
	tcase_add_test(build, test_roundtrip_request);
	tcase_add_test(build, test_roundtrip_reply);
	tcase_add_test(build, test_build_errors);
	tcase_add_test(build, test_build_nai_pad);
	tcase_add_test(build, test_code_str);
	suite_add_tcase(s, build);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(wire_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
