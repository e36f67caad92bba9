<?php
/*
 * feed.php - the logged-in user's feed, loaded by follow.js.  Rendered
 * even without a valid cookie: follow.js then gets the 401 and fires
 * follow:login, which demo.js turns into the "log in again" banner.
 */
declare(strict_types=1);
require __DIR__ . '/../lib.php';

$me = demo_current_user();
page_start('Your feed', $me);
echo "<div id=\"feed\" data-follow-feed data-page-size=\"10\"></div>\n";
page_end();
