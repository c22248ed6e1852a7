"""Records an NLMSG_ERROR carrying an extended ACK message (the `netlink` npm package cannot set
NETLINK_EXT_ACK, Python's socket module can). Run inside a namespace:
  ip netns exec NS python3 capture-extack.py FIXTURES_DIR
Replays the FEATURES_GET request of features-get-enodev.json on a socket with NETLINK_EXT_ACK."""
import json, os, socket, sys
d = sys.argv[1]
src = json.load(open(os.path.join(d, 'features-get-enodev.json')))
req = bytes.fromhex(src['out'][0])
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
s.setsockopt(270, 11, 1)  # SOL_NETLINK, NETLINK_EXT_ACK
s.bind((0, 0))
s.send(req)
reply = s.recv(65536)
json.dump({'kernel': os.uname().release,
           'description': 'FEATURES_GET of a missing device on a socket with NETLINK_EXT_ACK: NLMSG_ERROR ENODEV with NLMSGERR_ATTR_MSG',
           'familyId': src['familyId'], 'out': [req.hex()], 'in': [reply.hex()]},
          open(os.path.join(d, 'features-get-enodev-extack.json'), 'w'), indent=1)
print(reply.hex())
