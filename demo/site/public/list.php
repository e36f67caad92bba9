<?php
/*
 * list.php?kind=followers|following&id=N - a user's followers or
 * followings, paged by follow.js with next_cursor (infinite scroll).
 */
declare(strict_types=1);
require __DIR__ . '/../lib.php';

$me = demo_current_user();
$kind = ($_GET['kind'] ?? '') === 'following' ? 'following' : 'followers';
$id = filter_var($_GET['id'] ?? '', FILTER_VALIDATE_INT,
    ['options' => ['min_range' => 1]]);
$u = $id === false ? null : demo_user($id);
if ($u === null) {
    not_found($me);
    exit;
}
page_start(($kind === 'followers' ? 'Followers of ' : 'Followed by ')
    . demo_name($u), $me);
echo '<p><a href="/profile.php?id=', $u['id'], '">Back to the profile</a></p>',
    "\n", '<ul id="list" data-follow-list="', $kind, '" data-user="', $u['id'],
    '" data-me="', $me, '" data-profile-href="/profile.php?id={id}"></ul>', "\n";
page_end();
