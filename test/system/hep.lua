-- SPDX-License-Identifier: BSD-3-Clause
-- HEPv3 (Homer Encapsulation Protocol) for tshark, which has no HEP
-- dissector of its own in Debian 12 (Wireshark 4.0): the chunks of the
-- HEP3 specification (rev. 12) as fields, and the payload handed to
-- Wireshark's SIP dissector. Written from the spec, not from sipdp's
-- encoder; the system test also checks every field against the SIP
-- packets seen on the wire. Use:
--   tshark -X lua_script:hep.lua -d udp.port==9060,hep -r FILE
local hep = Proto("hep", "HEP3 Homer Encapsulation Protocol")
local f = hep.fields
f.length = ProtoField.uint16("hep.length", "Total length")
f.ip_family = ProtoField.uint8("hep.ip_family", "IP family")
f.ip_proto = ProtoField.uint8("hep.ip_proto", "IP protocol")
f.src_ip4 = ProtoField.ipv4("hep.src_ip4", "Source IPv4")
f.dst_ip4 = ProtoField.ipv4("hep.dst_ip4", "Destination IPv4")
f.src_ip6 = ProtoField.ipv6("hep.src_ip6", "Source IPv6")
f.dst_ip6 = ProtoField.ipv6("hep.dst_ip6", "Destination IPv6")
f.src_port = ProtoField.uint16("hep.src_port", "Source port")
f.dst_port = ProtoField.uint16("hep.dst_port", "Destination port")
f.ts_sec = ProtoField.uint32("hep.ts_sec", "Timestamp seconds")
f.ts_usec = ProtoField.uint32("hep.ts_usec", "Timestamp microseconds")
f.proto_type = ProtoField.uint8("hep.proto_type", "Protocol type")
f.capture_id = ProtoField.uint32("hep.capture_id", "Capture agent id")
f.unknown = ProtoField.uint16("hep.unknown_chunk", "Unknown chunk type")
local fields = {
	[1] = f.ip_family, [2] = f.ip_proto, [3] = f.src_ip4, [4] = f.dst_ip4,
	[5] = f.src_ip6, [6] = f.dst_ip6, [7] = f.src_port, [8] = f.dst_port,
	[9] = f.ts_sec, [10] = f.ts_usec, [11] = f.proto_type, [12] = f.capture_id,
}
local sip = Dissector.get("sip")

function hep.dissector(buf, pinfo, tree)
	if buf:len() < 6 or buf(0, 4):string() ~= "HEP3" then return 0 end
	local total = buf(4, 2):uint()
	if total > buf:len() then return 0 end
	local t = tree:add(hep, buf(0, total))
	t:add(f.length, buf(4, 2))
	local off, payload = 6, nil
	while off + 6 <= total do
		local vendor, typ, len = buf(off, 2):uint(), buf(off + 2, 2):uint(), buf(off + 4, 2):uint()
		if len < 6 or off + len > total then break end
		if vendor == 0 and typ == 15 then
			payload = buf(off + 6, len - 6)
		elseif vendor == 0 and fields[typ] ~= nil then
			t:add(fields[typ], buf(off + 6, len - 6))
		else
			t:add(f.unknown, buf(off + 2, 2))
		end
		off = off + len
	end
	pinfo.cols.protocol = "HEP3"
	if payload ~= nil then sip:call(payload:tvb(), pinfo, tree) end
	return total
end

DissectorTable.get("udp.port"):add(9060, hep)
