import { Button, Text, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import type { CourseSummary } from '@wxlearn/api-types';
import { useEffect, useState } from 'react';

import { CourseCard } from '../../../components/CourseCard';
import { SearchBar } from '../../../components/SearchBar';
import { EmptyView, StatusView } from '../../../components/StatusView';
import { readParam } from '../../../routes';
import { getApi } from '../../../services/api';
import './index.scss';

const PAGE_SIZE = 20;

interface Results {
  items: CourseSummary[];
  total: number;
  page: number;
}

export default function CourseSearchPage() {
  const router = useRouter();
  const [query, setQuery] = useState(() => ({
    q: readParam(router.params, 'q'),
    category: readParam(router.params, 'category'),
  }));
  const [results, setResults] = useState<Results | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(undefined);

  const load = async (page: number) => {
    setLoading(true);
    setError(undefined);
    try {
      const response = await getApi().searchCourses({
        q: query.q,
        category: query.category,
        page,
        pageSize: PAGE_SIZE,
      });
      setResults((previous) => ({
        items: page === 1 || !previous ? response.items : [...previous.items, ...response.items],
        total: response.total,
        page: response.page,
      }));
    } catch (failure) {
      setError(failure);
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    setResults(null);
    void load(1);
    // `load` reads `query`, the only dependency.
  }, [query]);

  useEffect(() => {
    const title = query.category && !query.q ? query.category : '搜索课程';
    void Taro.setNavigationBarTitle({ title });
  }, [query]);

  const search = (text: string) => setQuery({ q: text, category: query.category });
  const clearCategory = () => setQuery({ q: query.q, category: '' });
  const hasMore = results !== null && results.items.length < results.total;

  return (
    <View className="page search-page">
      <SearchBar initialValue={query.q} onSearch={search} />
      {query.category !== '' && (
        <View className="search-filter">
          <Text className="search-filter-text">{`分类：${query.category}`}</Text>
          <Text className="search-filter-clear" onClick={clearCategory}>
            清除
          </Text>
        </View>
      )}
      {results && (
        <Text className="muted search-total" data-testid="search-total">
          {`共 ${results.total} 门课程`}
        </Text>
      )}
      <View className="search-results">
        {results?.items.map((course) => (
          <CourseCard key={course.id} course={course} testId="course-result" />
        ))}
      </View>
      {results && results.total === 0 && <EmptyView text="没有找到相关课程，换个关键词试试" />}
      <StatusView
        loading={loading}
        error={error}
        onRetry={() => void load(results ? results.page + 1 : 1)}
      />
      {hasMore && !loading && error === undefined && (
        <Button className="load-more" size="mini" onClick={() => void load(results.page + 1)}>
          加载更多
        </Button>
      )}
    </View>
  );
}
