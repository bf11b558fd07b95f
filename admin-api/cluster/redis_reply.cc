#include "admin-api/cluster/redis_reply.h"

#include <hiredis/hiredis.h>

namespace gatehouse::cluster {

std::string replyText(const redisReply* r) {
  return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
               r->type == REDIS_REPLY_ERROR)
             ? std::string(r->str, r->len)
             : std::string();
}

bool isErrorReply(const redisReply* r) {
  return r == nullptr || r->type == REDIS_REPLY_ERROR;
}

std::vector<std::pair<std::string, std::string>> replyPairs(const redisReply* r) {
  std::vector<std::pair<std::string, std::string>> out;
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i + 1 < r->elements; i += 2)
    out.emplace_back(replyText(r->element[i]), replyText(r->element[i + 1]));
  return out;
}

}  // namespace gatehouse::cluster
