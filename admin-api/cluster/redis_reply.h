#pragma once
// Reading hiredis replies, the same way for the blocking load at start and the asynchronous
// links: a reply the code did not expect (another type, none at all) reads as empty, never as
// a crash, since what Redis holds was written by other instances and may be anything.

#include <string>
#include <utility>
#include <vector>

struct redisReply;

namespace gatehouse::cluster {

// The text of a string, status or error reply; empty for any other (or none).
std::string replyText(const redisReply* reply);

// No reply (the link went away, a blocking call failed) or an error reply.
bool isErrorReply(const redisReply* reply);

// The field -> value pairs of an HGETALL answer; empty for anything else.
std::vector<std::pair<std::string, std::string>> replyPairs(const redisReply* reply);

}  // namespace gatehouse::cluster
